// The operator's entry point inside the cluster (manifests/deployment.yaml runs
// `node operator/config-watcher/main.ts`). It talks to the API server as its ServiceAccount,
// watches every namespace, and competes for a Lease in its own namespace, so two replicas can run.
import { KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { KubeClient } from '../runtime/kube-client.ts';
import { configWatcherOperator } from './operator.ts';

// client-node only finds and reads the kubeconfig; the operator talks through our own client.
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in a pod: the ServiceAccount token and the cluster's CA

const { manager } = configWatcherOperator({
  client: new KubeClient(kubeConfig),
  leaderElection: {
    namespace: process.env.POD_NAMESPACE ?? 'default',
    name: 'config-watcher',
    identity: process.env.POD_NAME ?? hostname(),
    // How long a dead leader's lease blocks the standby, and how often the lease is renewed.
    leaseDurationSeconds: numberFrom('LEASE_DURATION_SECONDS'),
    retryMs: numberFrom('LEASE_RETRY_MS'),
  },
  health: { port: Number(process.env.HEALTH_PORT ?? 8080), host: process.env.HEALTH_HOST ?? '127.0.0.1' },
  // Whoever leads now may be acting: stop at once and let the Deployment start us afresh.
  onLostLeadership: () => process.exit(1),
});

await manager.start();
// The manager has logged that its caches are synced; leading and reconciling follow from here.
console.error(`config-watcher: running; health and metrics on ${manager.url}`);

// Kubernetes sends SIGTERM before it kills a pod: drain the work and hand the lease over.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void manager.stop().then(() => process.exit(0));
  });
}

/** The number in an environment variable, or undefined (the runtime's default) when it is not set. */
function numberFrom(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  console.error(`config-watcher: ${name} must be a whole number, not "${value}"`);
  process.exit(2);
}
