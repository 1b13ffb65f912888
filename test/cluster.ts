// What every integration test needs from the shared control plane: a client and a namespace of
// its own, so test files can run side by side without seeing each other's objects.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { waitFor as poll } from '../patterns/wait-for.ts';
import { FAKE_TAINT } from '../kind/local.ts';
import { KubeClient } from '../operator/runtime/kube-client.ts';

/** Whether containers really run: suites of running pods skip on kwok's fake nodes alone. */
export { clusterRunsContainers } from '../patterns/runner.ts';

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/** The operators' client for the same cluster: what the runtime and the operators built on it take. */
export function testClient(kc = testKubeConfig()): KubeClient {
  return new KubeClient(kc);
}

/**
 * Creates a namespace that enforces the restricted Pod Security Standard, like the lessons'
 * namespaces, whose pods run on the fake nodes (or, with `pods: 'real'`, wherever containers
 * really run), and returns its name with a function that deletes it.
 */
export async function testNamespace(kc: KubeConfig, prefix: string, { pods = 'fake' }: { pods?: 'fake' | 'real' } = {}) {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
        // The operators' suites check objects, not containers, and use images that exist nowhere:
        // their pods go to the fake nodes (tolerating the taint they carry beside a real node).
        annotations: pods === 'fake' ? {
          'scheduler.alpha.kubernetes.io/node-selector': 'type=kwok',
          'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([FAKE_TAINT]),
        } : {},
      },
    },
  });
  return { name, remove: () => core.deleteNamespace({ name }).then(() => undefined) };
}

/** Polls until check() returns a value other than undefined, or fails naming what it waited for. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return poll(check, () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), timeoutMs);
}
