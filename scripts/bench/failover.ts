// npm run bench -- failover [--rounds N] [--lease-seconds S] [--retry-ms M]   (defaults: 5 rounds, the operator's own timings)
// How long the ConfigWatcher operator is leaderless when its leader dies without a word. Starts a
// fresh local control plane in a temporary directory and two replicas of the in-cluster entry
// (operator/config-watcher/main.ts) as processes of their own, as two pods would be. Each round
// SIGKILLs the leader (no drain, no release: the lease must expire) and times until the standby
// says it leads; a new standby then takes the dead one's place.
import { CoreV1Api } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { installCrd } from '../../operator/config-watcher/install-crd.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { resolveBinaries } from '../../kind/binaries.ts';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { percentile, round } from './stats.ts';

const MAIN = new URL('../../operator/config-watcher/main.ts', import.meta.url).pathname;

interface Replica {
  name: string;
  child: ChildProcess;
  /** Resolves with performance.now() when the replica logs that it leads. */
  leads: Promise<number>;
  synced: Promise<void>;
}

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '5' }, 'lease-seconds': { type: 'string' }, 'retry-ms': { type: 'string' } } });
  const rounds = Number(values.rounds);
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement

  const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
  const replicas: Replica[] = [];
  try {
    await up(cluster, { log: () => {} });
    const kc = kubeConfigFor(cluster);
    await installCrd(new KubeClient(kc));
    const namespace = 'bench';
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });

    let count = 0;
    const start = (): Replica => {
      const name = `replica-${++count}`;
      const timings = {
        ...(values['lease-seconds'] ? { LEASE_DURATION_SECONDS: values['lease-seconds'] } : {}),
        ...(values['retry-ms'] ? { LEASE_RETRY_MS: values['retry-ms'] } : {}),
      };
      const child = spawn(process.execPath, [MAIN], {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfig, POD_NAMESPACE: namespace, POD_NAME: name, HEALTH_PORT: '0', ...timings },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const lines = (test: (line: string) => boolean) =>
        new Promise<number>((resolve) => child.stderr!.on('data', (chunk: Buffer) => String(chunk).split('\n').some(test) && resolve(performance.now())));
      const replica = { name, child, leads: lines((l) => l.includes(`${name} leads`)), synced: lines((l) => l.includes('caches synced')).then(() => {}) };
      replicas.push(replica);
      return replica;
    };

    let leader = start();
    await leader.leads;
    let standby = start();
    const seconds: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      await standby.synced;
      // Let the standby watch a few renewals, as a standby of long standing would have.
      await sleep(3000 + Math.random() * 1000);
      const killed = performance.now();
      leader.child.kill('SIGKILL');
      seconds.push((( await standby.leads) - killed) / 1000);
      console.error(`round ${i}/${rounds}: ${standby.name} took over after ${round(seconds.at(-1)!)} s`);
      leader = standby;
      standby = start();
    }
    return {
      rounds,
      failover_median_s: round(percentile(seconds, 0.5)),
      failover_max_s: round(Math.max(...seconds)),
      failover_min_s: round(Math.min(...seconds)),
      goal_max_s: 10,
    };
  } finally {
    for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await down(cluster, () => {});
  }
}
