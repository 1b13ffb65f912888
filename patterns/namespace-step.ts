// Step 1 of every lesson: its own namespace, enforcing the "restricted" Pod Security Standard.
// The API server then rejects any pod of the lesson that runs as root, keeps capabilities or
// may escalate privileges — so every manifest in the kit is proven to follow the standard.
import { CoreV1Api } from '@kubernetes/client-node';
import { StepFailed, type Step } from './lesson.ts';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

/**
 * @param level the Pod Security level to enforce. Every lesson uses `restricted`, except where
 *   the pods are written by someone else's rules: Clowder's pod templates carry no
 *   securityContext, so the clowdapp lesson can only enforce `baseline`.
 */
export function namespaceStep(namespace: string, level: 'restricted' | 'baseline' = 'restricted'): Step {
  return {
    id: 'namespace',
    title: 'Create the lesson namespace',
    commands: [
      `kubectl create namespace ${namespace}`,
      `kubectl label namespace ${namespace} ${ENFORCE}=${level}`,
    ],
    needs: 'any',
    async verify(ctx) {
      const core = ctx.kc.makeApiClient(CoreV1Api);
      const ns = await core.readNamespace({ name: namespace }).catch(() => undefined);
      if (!ns) throw new StepFailed(`namespace ${namespace} does not exist`, 'kubectl get namespaces');
      if (ns.metadata?.labels?.[ENFORCE] !== level) {
        throw new StepFailed(`namespace ${namespace} does not enforce the ${level} Pod Security Standard`, `kubectl get namespace ${namespace} --show-labels`);
      }
      return `namespace ${namespace} exists and enforces ${ENFORCE}=${level}`;
    },
    expected: `namespace/${namespace} created, then labeled`,
    hint: 'The label key is pod-security.kubernetes.io/enforce. If the namespace already exists from an earlier run, `npm run lesson -- reset <id>` starts the lesson over.',
    solution: `kubectl create namespace ${namespace} && kubectl label namespace ${namespace} ${ENFORCE}=${level}`,
  };
}
