// Runs and checks lesson steps. The CLI, the site's live server and the tests all come through
// here, so "verified" means the same thing everywhere.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { resolveBinaries } from '../scripts/cluster/binaries.ts';
import type { Lesson, LessonContext, Needs, Step } from './lesson.ts';
import { waitFor } from './wait-for.ts';

const exec = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..');

export interface OpenContext extends LessonContext {
  close(): Promise<void>;
}

/**
 * Builds the context a lesson runs in. `kc` must already have passed the context guard: the
 * commands get a private kubeconfig holding only that context, so they cannot reach another.
 */
export async function openContext(lesson: Lesson, kc: KubeConfig): Promise<OpenContext> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-lesson-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  // The kit's own kubectl matches the cluster's version; fall back to the one on PATH.
  const kubectl = await resolveBinaries(() => {}).then((b) => b.kubectl, () => undefined);
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: kubectl ? `${dirname(kubectl)}:${process.env.PATH}` : process.env.PATH,
  };
  const running = new Map<string, Promise<() => Promise<void>>>();
  const stopRunning = async (name: string) => {
    const started = running.get(name);
    running.delete(name);
    if (started) await (await started.catch(() => async () => {}))();
  };
  return {
    kc,
    namespace: lesson.id,
    containers: await clusterRunsContainers(kc),
    async sh(command) {
      try {
        const { stdout } = await exec('bash', ['-o', 'pipefail', '-c', command], { cwd: repoRoot, env, timeout: 120_000 });
        return stdout;
      } catch (error) {
        const e = error as { stderr?: string; message: string };
        throw new Error(`command failed: ${command}\n${(e.stderr || e.message).trim()}`);
      }
    },
    async keepRunning(name, start) {
      if (!running.has(name)) {
        const started = start();
        running.set(name, started);
        started.catch(() => running.delete(name)); // a failed start may be tried again
      }
      await running.get(name);
    },
    stopRunning,
    async close() {
      for (const name of [...running.keys()]) await stopRunning(name);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether containers really run on these nodes. kwok manages only the nodes annotated
 * `kwok.x-k8s.io/node: fake` (scripts/cluster/local.ts creates them so); they run nothing. Any
 * other Ready node has a real kubelet: kind's nodes, or the real node beside the fake ones.
 */
export function nodesRunContainers(nodes: V1Node[]): boolean {
  const fake = (n: V1Node) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake';
  const ready = (n: V1Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return nodes.some((n) => !fake(n) && ready(n));
}

export async function clusterRunsContainers(kc: KubeConfig): Promise<boolean> {
  return nodesRunContainers((await kc.makeApiClient(CoreV1Api).listNode()).items);
}

/** What the CLI, the site and the tests say about a step this cluster cannot run, and how to fix it. */
export const NEEDS_CONTAINERS =
  "needs containers: this cluster's nodes are all kwok fakes; start it with `npm run cluster -- up --local --real-node` or use kind";

/** Why a step that needs `needs` cannot run where containers do (or do not) run; undefined when it can. */
export function cannotRun(needs: Needs, containers: boolean): string | undefined {
  return needs === 'containers' && !containers ? NEEDS_CONTAINERS : undefined;
}

/** Does the step: its own run(), or else its commands one after another. */
export async function runStep(step: Step, ctx: LessonContext): Promise<void> {
  if (step.run) return step.run(ctx);
  for (const command of step.commands) await ctx.sh(command);
}

export interface VerifyResult {
  verified: number;
  /** Steps this cluster cannot run, never counted as verified. */
  skipped: Step[];
  total: number;
  failure?: { step: Step; error: Error };
}

/**
 * Resets the lesson, then runs and checks every step in order. Steps build on each other, so
 * the first failure ends the run.
 */
export async function verifyLesson(lesson: Lesson, ctx: LessonContext, log: (line: string) => void): Promise<VerifyResult> {
  await resetLesson(lesson, ctx);
  const result: VerifyResult = { verified: 0, skipped: [], total: lesson.steps.length };
  for (const [i, step] of lesson.steps.entries()) {
    const label = `step ${i + 1} ${step.id}`;
    const reason = cannotRun(step.needs, ctx.containers);
    if (reason) {
      result.skipped.push(step);
      log(`skip ${label} (${reason})`);
      continue;
    }
    try {
      await runStep(step, ctx);
      await step.verify(ctx);
      result.verified++;
      log(`ok   ${label}`);
    } catch (error) {
      result.failure = { step, error: error as Error };
      log(`FAIL ${label}: ${(error as Error).message}\n  hint: ${step.hint}`);
      break;
    }
  }
  return result;
}

/** Removes everything the lesson created: its namespace, and what the lesson's own reset() names. */
export async function resetLesson(lesson: Lesson, ctx: LessonContext): Promise<void> {
  await lesson.reset?.(ctx);
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = async () => core.readNamespace({ name: ctx.namespace }).then(() => undefined, () => true);
  if (await gone()) return;
  await core.deleteNamespace({ name: ctx.namespace });
  await waitFor(gone, () => new Error(`namespace ${ctx.namespace} of lesson ${lesson.id} was not deleted within 120 s`), 120_000);
}
