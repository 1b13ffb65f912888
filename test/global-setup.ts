// Starts ONE local control plane (with a real node where the machine allows it) for the whole test
// run and stops it afterwards, also when the run fails or is interrupted. Set KUBECONFIG to a
// running workshop cluster to reuse it instead.
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopProgramsOf } from '../patterns/programs.ts';
import { down, localCluster, up } from '../kind/local.ts';
import { realNodeRefusal } from '../kind/real-node/node.ts';
import { WORKSHOP_CONTEXTS } from '../kind/workshop.ts';

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

  // Teardown runs on success and failure. On Ctrl-C or a killed runner the process may exit before
  // an asynchronous down() is done, and an 'exit' handler cannot wait: it hands the whole down
  // (programs, node, containers, chains, bridges) to a process of its own, which outlives this one.
  let tornDown = false;
  const teardown = async () => {
    tornDown = true;
    await stopProgramsOf(kubeConfigOf(cluster.kubeconfig), log);
    await down(cluster, log);
  };
  const handOver = () => {
    if (tornDown) return;
    tornDown = true;
    const child = spawn(process.execPath, [join(import.meta.dirname, 'teardown-cluster.ts'), cluster.workdir], { detached: true, stdio: 'inherit' });
    child.unref();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    handOver();
    process.kill(process.pid, signal);
  };
  process.on('exit', handOver);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);

  // A real node wherever this machine allows one, so that every lesson step runs for real. CI
  // must have it: there a refusal is a failure, not a reason to skip steps.
  const refusal = await realNodeRefusal();
  if (refusal && process.env.CI) throw new Error(`CI needs a real node: ${refusal}`);
  if (refusal) log(`no real node (${refusal}); steps that need containers will be skipped`);

  try {
    await up(cluster, { log, realNode: !refusal });
  } catch (error) {
    await teardown(); // vitest skips the teardown when setup throws
    throw error;
  }
  project.provide('kubeconfig', cluster.kubeconfig);

  return async () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    await teardown();
    process.off('exit', handOver);
  };
}

function kubeConfigOf(path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch {} // not written yet: the cluster never came up, so it has no programs
  return kc;
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
