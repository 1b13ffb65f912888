// npm run operator -- <name> [--context <kube context>] [--namespace <ns>] [--port N]
//   naive-loop             the controller lesson's first attempt: a bare watch loop (needs --namespace)
//   config-map-controller  the controller lesson's controller, on the kit's runtime (needs --namespace)
//   config-watcher         installs (or updates) the ConfigWatcher CRD, then runs that operator
//   postgres-database      installs the PostgresDatabase CRD, then runs that operator against the
//                          PostgreSQL server of POSTGRES_URL (default: the one `npm run postgres -- up` started)
//   clowder                installs the cloud.redhat.com CRDs, then runs the ClowdApp operator (all namespaces);
//                          --config <clowder_config.json> its images (default: operator/clowder/workshop-config.json,
//                          public images; `none`: Clowder's own pinned images);
//                          --postgres-image <version>=<image> (repeatable) replaces a local database image;
//                          --resync-seconds N re-checks every app that often (default 600; the benchmark's is 5)
// Each runs against the current kube context until Ctrl-C. Like every command that changes a
// cluster, it acts only on a workshop context unless --context names another one. Out of the
// cluster there is one replica, so no leader election.
// --port is that of /metrics and /healthz on 127.0.0.1: by default a free one, printed once it
// runs, so that the operators of two lessons never compete for one port.
// The guard reads the kubeconfig as plain data, and each program imports its own modules only when
// it runs: so a program that talks to the API server without @kubernetes/client-node never loads
// that package (about 60 MB of memory).
import { parseArgs } from 'node:util';
import { guardedKubeconfig } from '../kind/context-guard.ts';
import type { KubeconfigData } from '../kind/kubeconfig.ts';
import { KubeClient } from '../operator/runtime/kube-client.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    context: { type: 'string' }, namespace: { type: 'string' }, port: { type: 'string', default: '0' },
    config: { type: 'string' }, 'resync-seconds': { type: 'string' },
    'postgres-image': { type: 'string', multiple: true },
  },
});

interface Running {
  stop(): Promise<void>;
  url?: string;
}

/** Starts each program; resolves once it is running. */
const programs: Record<string, (kubeconfig: KubeconfigData) => Promise<Running>> = {
  'naive-loop': async (kubeconfig) => {
    // The lesson's first attempt is written on client-node, as a newcomer would write it.
    const { startNaiveLoop } = await import('../operator/config-map-controller/naive-loop.ts');
    const { toKubeConfig } = await import('../kind/client-node-config.ts');
    return { stop: await startNaiveLoop(toKubeConfig(kubeconfig), requiredNamespace()) };
  },
  'config-map-controller': async (kubeconfig) => {
    const { configMapController } = await import('../operator/config-map-controller/controller.ts');
    return started(configMapController(new KubeClient(kubeconfig), requiredNamespace()));
  },
  'config-watcher': async (kubeconfig) => {
    const { installCrd } = await import('../operator/config-watcher/install-crd.ts');
    const { configWatcherOperator } = await import('../operator/config-watcher/operator.ts');
    const client = new KubeClient(kubeconfig);
    await installCrd(client);
    return started(configWatcherOperator({ client, namespace: values.namespace, health: { port: Number(values.port) } }).manager);
  },
  clowder: async (kubeconfig) => {
    const { installCrds } = await import('../operator/clowder/install-crds.ts');
    const { clowderOperator } = await import('../operator/clowder/operator.ts');
    const { DEFAULT_SETTINGS, readConfig, withPostgresImages, WORKSHOP_CONFIG } = await import('../operator/clowder/settings.ts');
    const client = new KubeClient(kubeconfig);
    await installCrds(client);
    const config = values.config === 'none' ? DEFAULT_SETTINGS : readConfig(values.config ?? WORKSHOP_CONFIG);
    const settings = withPostgresImages(values['postgres-image'] ?? [], config);
    const resyncMs = values['resync-seconds'] ? Number(values['resync-seconds']) * 1000 : undefined;
    return started(clowderOperator({ client, health: { port: Number(values.port) }, settings, resyncMs }).manager);
  },
  'postgres-database': async (kubeconfig) => {
    const { preparePostgresDatabaseOperator } = await import('../patterns/11-external-resource/run-operator.ts');
    const client = new KubeClient(kubeconfig);
    return started((await preparePostgresDatabaseOperator({ client, namespace: values.namespace, port: Number(values.port) })).manager);
  },
};

async function started(manager: { start(): Promise<void>; stop(): Promise<void>; url?: string }): Promise<Running> {
  await manager.start();
  return { stop: () => manager.stop(), url: manager.url };
}

function requiredNamespace(): string {
  if (!values.namespace) throw new Error(`${positionals[0]} watches one namespace: add --namespace <ns>`);
  return values.namespace;
}

try {
  const name = positionals[0] ?? '';
  const start = programs[name];
  if (!start) throw new Error(`unknown operator "${name}"; choose one of: ${Object.keys(programs).join(', ')}`);
  const kubeconfig = guardedKubeconfig(values.context);
  console.error(`${name}: context ${kubeconfig.currentContext}`);
  const running = await start(kubeconfig);
  console.error(`${name}: running${running.url ? `; metrics and health on ${running.url}` : ''} (Ctrl-C stops)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${name}: draining`);
      void running.stop().then(() => process.exit(0));
    });
  }
} catch (error) {
  console.error(`operator: ${(error as Error).message}`);
  process.exit(1);
}
