// What the ConfigWatcher tests and the benchmark create: a restricted-compliant Deployment and a
// ConfigWatcher selecting it, plus a KubeConfig that counts the writes made through it.
import { KubeConfig, type RequestContext, type V1Deployment } from '@kubernetes/client-node';
import { API_VERSION, KIND, type ConfigWatcher } from '../config-watcher.ts';

export function deployment(name: string, labels: Record<string, string>, replicas = 2): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // The test namespaces enforce the restricted Pod Security Standard, like the lessons'.
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'app',
            image: 'k8s-patterns/workshop:dev',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}

export function configWatcher(name: string, configMap: string, podSelector: Record<string, string>): ConfigWatcher {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { configMap, podSelector } };
}

/**
 * A KubeConfig that notes every request that is not a GET. Every API call made through it (typed
 * clients and watches alike) passes through applySecurityAuthentication, so nothing escapes the count.
 */
export class CountingKubeConfig extends KubeConfig {
  readonly writes: string[] = [];

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    if (context.getHttpMethod() !== 'GET') this.writes.push(`${context.getHttpMethod()} ${new URL(context.getUrl()).pathname}`);
    return super.applySecurityAuthentication(context);
  }
}
