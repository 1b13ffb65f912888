// Every command that changes a cluster goes through this guard first. Attendees often have a
// work cluster in their kubeconfig; a workshop step that deletes a namespace must never reach it.
// So we act only on the workshop's own contexts, unless the user names another one explicitly.
import { KubeConfig } from '@kubernetes/client-node';
import { WORKSHOP_CONTEXTS } from './workshop.ts';

export class WrongContextError extends Error {}

/**
 * Returns a KubeConfig set to the context we may act on.
 * @param explicitContext the value of --context, if the user gave one: then that context is used
 *   as asked, even if it is not a workshop context.
 */
export function guardedKubeConfig(explicitContext?: string, kubeconfig = new KubeConfig()): KubeConfig {
  if (kubeconfig.getContexts().length === 0) kubeconfig.loadFromDefault();
  if (explicitContext) {
    if (!kubeconfig.getContextObject(explicitContext)) {
      throw new WrongContextError(`context "${explicitContext}" is not in your kubeconfig`);
    }
    kubeconfig.setCurrentContext(explicitContext);
    return kubeconfig;
  }
  const current = kubeconfig.getCurrentContext();
  if (!WORKSHOP_CONTEXTS.includes(current)) {
    throw new WrongContextError(
      `refusing to act on kube context "${current || '(none)'}": it is not a workshop context ` +
        `(${WORKSHOP_CONTEXTS.join(', ')}). Start the workshop cluster with "npm run cluster -- up" ` +
        `(or "up --local"), or pass --context ${current || '<name>'} if you really mean it.`,
    );
  }
  return kubeconfig;
}
