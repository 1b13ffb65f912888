// Starts ONE local control plane (with a real node where the machine allows it) for the whole test
// run and stops it afterwards, also when the run fails or is interrupted. Set KUBECONFIG to a
// running workshop cluster to reuse it instead.
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { down, localCluster, processes, up } from '../scripts/cluster/local.ts';
import { realNodeRefusal } from '../scripts/cluster/real-node/node.ts';
import { WORKSHOP_CONTEXTS } from '../scripts/cluster/workshop.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

export default async function setup(project: TestProject) {
  const reused = await reusableCluster();
  if (reused) {
    console.error(`tests use the running workshop cluster from KUBECONFIG=${reused}`);
    project.provide('kubeconfig', reused);
    return;
  }

  const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-test-')));
  const log = (line: string) => console.error(`[control plane] ${line}`);

  // Teardown runs on success and failure; these cover Ctrl-C and a killed runner. The
  // 'exit' handler must be synchronous, so it only signals the recorded PIDs.
  let pids: Record<string, number> = {};
  const stopNow = () => Object.values(pids).forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch {} });
  const onSignal = (signal: NodeJS.Signals) => { void down(cluster, log).finally(() => process.kill(process.pid, signal)); };
  process.on('exit', stopNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);

  // A real node wherever this machine allows one, so that every lesson step runs for real. CI
  // must have it: there a refusal is a failure, not a reason to skip steps.
  const refusal = await realNodeRefusal();
  if (refusal && process.env.CI) throw new Error(`CI needs a real node: ${refusal}`);
  if (refusal) log(`no real node (${refusal}); steps that need containers will be skipped`);

  try {
    await up(cluster, { log, realNode: !refusal });
    pids = await processes(cluster);
  } catch (error) {
    await down(cluster, log); // vitest skips the teardown when setup throws
    throw error;
  }
  project.provide('kubeconfig', cluster.kubeconfig);

  return async () => {
    process.off('exit', stopNow);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    await down(cluster, log);
  };
}

/** A KUBECONFIG whose current context is a workshop context that answers. */
async function reusableCluster(): Promise<string | undefined> {
  const path = process.env.KUBECONFIG;
  if (!path) return undefined;
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
    if (!WORKSHOP_CONTEXTS.includes(kc.getCurrentContext())) return undefined;
    await kc.makeApiClient(VersionApi).getCode();
    return path;
  } catch {
    return undefined;
  }
}
