// npm run cluster -- up|down|status [--local [--real-node]] [--port N]
//   up      create (or start again) the workshop cluster; prints KUBECONFIG=<path> when Ready
//           (--real-node, Linux and root: plus a real worker node on this machine)
//   down    stop it and remove its state
//   status  what is running
//   binaries  find, download or build the local control plane's binaries (and print where;
//           --real-node: also the node's kubelet, kube-proxy, CoreDNS, Traefik and MetalLB)
// Without --local this drives kind (needs Docker); with --local, the local control plane.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stopProgramsOf } from '../patterns/programs.ts';
import { resolveBinaries } from '../kind/binaries.ts';
import { KIND_CONTEXT } from '../kind/workshop.ts';
import * as kind from '../kind/kind.ts';
import * as local from '../kind/local.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    local: { type: 'boolean', default: false },
    'real-node': { type: 'boolean', default: false },
    port: { type: 'string' },
  },
});
const [command] = positionals;
const cluster = local.localCluster();

try {
  switch (command) {
    case 'up':
      if (values.local) {
        const port = values.port ? Number(values.port) : undefined;
        if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
          throw new Error(`--port must be a port number, got "${values.port}"`);
        }
        await local.up(cluster, { port, realNode: values['real-node'] });
        const { kubectl } = await resolveBinaries();
        console.error(`a kubectl matching this cluster: ${kubectl} (or use your own)`);
        console.log(`KUBECONFIG=${cluster.kubeconfig}`);
      } else {
        if (values['real-node']) throw new Error('--real-node adds a node to the local control plane: use it with --local');
        await kind.up();
      }
      break;
    case 'down':
      // The lessons' programs (operators, fronts) talk to this cluster only: they go first.
      await stopProgramsOf(clusterConfig(values.local), console.error);
      await (values.local ? local.down(cluster) : kind.down());
      break;
    case 'status':
      console.log(await localStatus());
      if (!values.local) console.log(await kind.status().catch(() => 'kind: not available (kind or Docker missing)'));
      break;
    case 'binaries':
      {
        const binaries = values['real-node'] ? await resolveBinaries(console.error, { node: true }) : await resolveBinaries();
        for (const [name, path] of Object.entries(binaries)) console.log(`${name}\t${path}`);
      }
      break;
    default:
      throw new Error(`unknown command "${command ?? ''}"; use up, down, status or binaries (add --local for the local control plane)`);
  }
} catch (error) {
  console.error(`cluster: ${(error as Error).message}`);
  process.exitCode = 1;
}

/** The local control plane's kubeconfig, or kind's context in the user's (empty if there is none). */
function clusterConfig(isLocal: boolean): KubeConfig {
  const kc = new KubeConfig();
  if (isLocal) {
    if (existsSync(cluster.kubeconfig)) kc.loadFromFile(cluster.kubeconfig);
    return kc;
  }
  const yours = new KubeConfig();
  yours.loadFromDefault();
  if (!yours.getContextObject(KIND_CONTEXT)) return kc;
  yours.setCurrentContext(KIND_CONTEXT);
  return yours;
}

async function localStatus(): Promise<string> {
  const running = await local.processes(cluster);
  const names = Object.entries(running).map(([name, pid]) => `  ${name} (pid ${pid})`);
  if (!names.length) return 'local control plane: not running';
  const serving = (await local.isServing(cluster)) ? 'serving' : 'NOT serving';
  return `local control plane: ${serving}, KUBECONFIG=${cluster.kubeconfig}\n${names.join('\n')}`;
}
