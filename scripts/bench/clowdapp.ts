// npm run bench -- clowdapp [--apps N] [--idle S]   (defaults: 100 apps, 60 s idle)
// How the Clowder operator copes with N ClowdApps: starts a fresh local control plane in a
// temporary directory, creates one environment and N apps (two deployments each, one public),
// runs the operator in this process, and measures
// - seconds from creating the apps to every app reporting ReconciliationSuccessful (all objects
//   written), and to every app also ready (its Deployments available);
// - API requests the operator made until then, by verb;
// - writes during an idle period after convergence, which includes resyncs (the goal is 0: a
//   settled operator has nothing to write);
// - the process's peak RSS.
import { CoreV1Api, KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { resolveBinaries } from '../../kind/binaries.ts';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { round } from './stats.ts';
import { clowdApp, clowdClient, condition, environment } from '../../operator/clowder/testing/fixtures.ts';
import { installCrds } from '../../operator/clowder/install-crds.ts';
import { clowderOperator } from '../../operator/clowder/operator.ts';

/** A KubeConfig that counts the operator's requests by HTTP verb. */
class VerbCounter extends KubeConfig {
  readonly verbs: Record<string, number> = {};
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const verb = context.getHttpMethod().toString();
    this.verbs[verb] = (this.verbs[verb] ?? 0) + 1;
    return super.applySecurityAuthentication(context);
  }
  writes(): number {
    return Object.entries(this.verbs).filter(([verb]) => verb !== 'GET').reduce((sum, [, n]) => sum + n, 0);
  }
}

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { apps: { type: 'string', default: '100' }, idle: { type: 'string', default: '60' } } });
  const count = Number(values.apps);
  const idleSeconds = Number(values.idle);
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement

  const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
  try {
    // Two pods per app (api and worker), and a node takes 110: enough fake nodes for all of them.
    await up(cluster, { nodes: Math.max(2, Math.ceil((count * 2) / 100)), log: () => {} });
    const admin = kubeConfigFor(cluster);
    const clowd = clowdClient(admin);
    await installCrds(admin);
    const namespace = 'bench';
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    // Small requests: kwok's fake nodes have finite allocatable memory, and the scheduler
    // honours it; with the usual 512Mi per pod, a hundred apps would not fit.
    await clowd.createEnv(environment('bench', {}, { resourceDefaults: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } } }));

    const counted = new VerbCounter();
    counted.loadFromString(admin.exportConfig());
    // Resync every few seconds, so the idle period below includes full passes over every app.
    const operator = clowderOperator({ kubeConfig: counted, resyncMs: 5000, log: () => {} });
    await operator.manager.start();
    await operator.manager.leading;
    try {
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        await clowd.createApp(clowdApp(`app-${i}`, namespace, 'bench', [{ name: 'api', web: true }, { name: 'worker' }]));
      }
      // Read progress from the operator's own cache: polling the API would distort the counts.
      // "Written" is the operator's part (every object written, ReconciliationSuccessful); "ready"
      // adds the control plane's (ReplicaSets, pods scheduled and Ready, Deployments available).
      const settled = (ready: boolean) =>
        operator.caches.apps.list(namespace).filter((a) =>
          (!ready || a.status?.ready) && condition(a, 'ReconciliationSuccessful')?.status === 'True' && a.status?.generation === a.metadata?.generation).length;
      let writtenSeconds: number | undefined;
      let last = -1;
      while (settled(true) < count) {
        if (writtenSeconds === undefined && settled(false) === count) writtenSeconds = (performance.now() - start) / 1000;
        if (settled(true) !== last) console.error(`${(last = settled(true))}/${count} apps reconciled and ready`);
        await sleep(100);
      }
      const convergedSeconds = (performance.now() - start) / 1000;
      writtenSeconds ??= convergedSeconds;
      const requests = { ...counted.verbs };
      console.error(`all ${count} apps ready after ${round(convergedSeconds)} s; idling ${idleSeconds} s`);

      const writesBefore = counted.writes();
      await sleep(idleSeconds * 1000);
      return {
        apps: count,
        seconds_to_all_written: round(writtenSeconds),
        seconds_to_all_reconciled: round(convergedSeconds),
        requests_by_verb: requests,
        idle_seconds: idleSeconds,
        idle_writes: counted.writes() - writesBefore,
        goal_idle_writes: 0,
        peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
      };
    } finally {
      await operator.manager.stop();
    }
  } finally {
    await down(cluster, () => {});
  }
}
