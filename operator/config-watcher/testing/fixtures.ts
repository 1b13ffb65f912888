// What the ConfigWatcher tests and the benchmark create: a restricted-compliant Deployment and a
// ConfigWatcher selecting it, plus a client that counts the writes made through it.
import type { V1Deployment } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube-client.ts';
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
 * A KubeClient that notes every request that is not a GET, as `PATCH /apis/…/name`. Every verb
 * (create, replace, patch, delete) goes through request(), so no write escapes the count; watches
 * do not, but they only read.
 */
export class CountingKubeClient extends KubeClient {
  readonly writes: string[] = [];

  override request<T>(method: string, path: string, options?: Parameters<KubeClient['request']>[2]): Promise<T> {
    if (method !== 'GET') this.writes.push(`${method} ${path}`);
    return super.request<T>(method, path, options);
  }
}
