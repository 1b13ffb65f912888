// Runs and checks lesson steps. The CLI, the site's live server and the tests all come through
// here, so "verified" means the same thing everywhere. Running a step means running its commands,
// exactly as shown, in a shell; checking it means reading the cluster. Everything either does is
// reported as a transcript: the commands, their real output, what a check waits for and saw.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveBinaries } from '../kind/binaries.ts';
import { commandText, type Command, type Lesson, type LessonContext, type Needs, type Step } from './lesson.ts';
import { programsDir, runningPrograms, startProgram, stopProgram } from './programs.ts';
import { recordRollout, removeRecordings, saveRecording, type RolloutPoint } from './rollout-recorder.ts';
import { runShell } from './shell.ts';
import { waitFor } from './wait-for.ts';

const repoRoot = join(import.meta.dirname, '..');

/** One line or chunk of a transcript, as the CLI prints it and the site's terminal pane shows it. */
export type TranscriptEvent =
  /** A command as typed; `terminal` when it is typed in a program's own terminal. */
  | { type: 'command'; text: string; terminal?: string }
  /** What a command or a program printed, as it came. */
  | { type: 'output'; text: string }
  /** What the runner itself did: a program started or stopped. */
  | { type: 'note'; text: string }
  /** What a check is waiting for. */
  | { type: 'progress'; text: string }
  | { type: 'verdict'; ok: boolean; text: string }
  /** A point of the rollout a step records, as it happens: the site's chart draws it live. */
  | { type: 'rollout'; app: string; point: RolloutPoint };

export type Transcript = (event: TranscriptEvent) => void;

export interface OpenContext extends LessonContext {
  /** Where this cluster's programs are recorded. */
  programs: string;
  /** Runs one command of a step, streaming to the transcript; throws if it did not do as shown. */
  run(command: Command): Promise<void>;
  /** Adds to the transcript. */
  say: Transcript;
  /** Sends this context's transcript elsewhere from now on (the site: to the request in progress). */
  setTranscript(transcript: Transcript): void;
  close(): Promise<void>;
}

/**
 * Builds the context a lesson runs in. `kc` must already have passed the context guard: the
 * commands get a private kubeconfig holding only that context, so they cannot reach another.
 */
export async function openContext(lesson: Lesson, kc: KubeConfig, transcript: Transcript = () => {}): Promise<OpenContext> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-lesson-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const only = onlyCurrentContext(kc);
  await writeFile(kubeconfig, only, { mode: 0o600 });
  // The kit's own kubectl matches the cluster's version; fall back to the one on PATH.
  const kubectl = await resolveBinaries(() => {}).then((b) => b.kubectl, () => undefined);
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: kubectl ? `${dirname(kubectl)}:${process.env.PATH}` : process.env.PATH,
  };
  const programs = programsDir(kc);
  let say = transcript;
  let lastProgress = '';
  const output = (text: string) => {
    if (!text) return;
    ctx.output = (ctx.output ?? '') + text;
    say({ type: 'output', text });
  };

  const ctx: OpenContext = {
    kc,
    namespace: lesson.id,
    containers: await clusterRunsContainers(kc),
    programs,
    async sh(command) {
      const r = await runShell(command, { cwd: repoRoot, env });
      if (r.code !== 0) throw new Error(`command failed: ${command}\n${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    },
    progress(text) {
      if (text !== lastProgress) say({ type: 'progress', text });
      lastProgress = text;
    },
    async run(command) {
      if (typeof command === 'object' && 'stop' in command) {
        say({ type: 'command', text: 'Ctrl-C', terminal: command.stop });
        const found = (await runningPrograms(programs, lesson.id)).find((p) => p.terminal === command.stop);
        if (!found) return say({ type: 'note', text: `${command.stop} was not running` });
        await stopProgram(programs, found);
        return say({ type: 'note', text: `stopped ${command.stop} (pid ${found.pid})` });
      }
      if (typeof command === 'object' && 'start' in command) {
        say({ type: 'command', text: command.start, terminal: command.terminal });
        const started = await startProgram(programs, lesson.id, command, { cwd: repoRoot, env, kubeconfig: only, onOutput: output });
        const { pid, log } = started.program;
        return say({ type: 'note', text: started.already
          ? `${command.terminal} is already running (pid ${pid}); its log: ${log}`
          : `${command.terminal} keeps running in its own terminal (pid ${pid}); its log: ${log}` });
      }
      const text = commandText(command);
      say({ type: 'command', text });
      const r = await runShell(text, { cwd: repoRoot, env, onOutput: output });
      const mustFail = typeof command === 'object';
      if (mustFail && r.code === 0) throw new Error(`this command should have been refused, but it succeeded: ${text}`);
      if (!mustFail && r.code !== 0) throw new Error(`command exited with code ${r.code}: ${text}`);
      if (mustFail) say({ type: 'note', text: `refused (exit code ${r.code}), as the lesson expects` });
    },
    say: (event) => say(event),
    setTranscript(next) {
      say = next;
      lastProgress = '';
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  return ctx;
}

/** The kubeconfig of the current context alone: commands and programs get nothing else. */
function onlyCurrentContext(kc: KubeConfig): string {
  const context = kc.getContextObject(kc.getCurrentContext())!;
  const config = JSON.parse(kc.exportConfig()) as { clusters: { name: string }[]; users: { name: string }[]; contexts: { name: string }[] };
  config.clusters = config.clusters.filter((c) => c.name === context.cluster);
  config.users = config.users.filter((u) => u.name === context.user);
  config.contexts = config.contexts.filter((c) => c.name === context.name);
  return JSON.stringify(config);
}

/**
 * Whether containers really run on these nodes. kwok manages only the nodes annotated
 * `kwok.x-k8s.io/node: fake` (kind/local.ts creates them so); they run nothing. Any
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

/** Runs the step's commands in order, recording the rollout they start when the step says so. */
export async function runStep(step: Step, ctx: OpenContext): Promise<void> {
  const commands = async () => {
    for (const command of step.commands) await ctx.run(command);
  };
  if (!step.records) return commands();
  const app = step.records;
  const series = await recordRollout(ctx.kc, ctx.namespace, app, commands, (point) => ctx.say({ type: 'rollout', app, point }));
  await saveRecording(ctx.namespace, app, series);
}

export interface StepOutcome {
  ok: boolean;
  /** What the check saw when it passed; what is wrong, and where to look, when not. */
  text: string;
}

/**
 * Runs a step's commands (unless `checkOnly`: the attendee typed them), then its check against
 * the cluster as it is. The verdict ends the step's transcript. `ran` is told between the two.
 */
export async function doStep(step: Step, ctx: OpenContext, options: { checkOnly?: boolean; ran?: () => void } = {}): Promise<StepOutcome> {
  let outcome: StepOutcome;
  ctx.output = undefined;
  try {
    if (!options.checkOnly) {
      ctx.output = '';
      await runStep(step, ctx);
    }
    options.ran?.();
    outcome = { ok: true, text: await step.verify(ctx) };
  } catch (error) {
    outcome = { ok: false, text: `${(error as Error).message}\n  hint: ${step.hint}` };
  }
  ctx.say({ type: 'verdict', ...outcome });
  return outcome;
}

export interface VerifyResult {
  verified: number;
  /** Steps this cluster cannot run, never counted as verified. */
  skipped: Step[];
  total: number;
  failure?: { step: Step; message: string };
}

/**
 * Resets the lesson, then runs and checks every step in order. Steps build on each other, so
 * the first failure ends the run. `starting` is told before each step, `ran` after its commands
 * and before its check.
 */
export async function verifyLesson(
  lesson: Lesson, ctx: OpenContext, hooks: { starting?: (step: Step) => void; ran?: (step: Step) => void } = {},
): Promise<VerifyResult> {
  await resetLesson(lesson, ctx);
  const result: VerifyResult = { verified: 0, skipped: [], total: lesson.steps.length };
  for (const step of lesson.steps) {
    hooks.starting?.(step);
    const reason = cannotRun(step.needs, ctx.containers);
    if (reason) {
      result.skipped.push(step);
      ctx.say({ type: 'note', text: `skipped: ${reason}` });
      continue;
    }
    const outcome = await doStep(step, ctx, { ran: () => hooks.ran?.(step) });
    if (!outcome.ok) {
      result.failure = { step, message: outcome.text };
      break;
    }
    result.verified++;
  }
  return result;
}

/**
 * Removes everything the lesson created: its programs (stopped by PID), what the lesson's own
 * reset() names, and its namespace.
 */
export async function resetLesson(lesson: Lesson, ctx: OpenContext): Promise<void> {
  for (const p of await runningPrograms(ctx.programs, lesson.id)) {
    await stopProgram(ctx.programs, p);
    ctx.say({ type: 'note', text: `stopped ${p.terminal} (pid ${p.pid})` });
  }
  await lesson.reset?.(ctx);
  // A chart of a rollout that no longer exists would only mislead.
  await removeRecordings(ctx.namespace);
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const gone = async () => core.readNamespace({ name: ctx.namespace }).then(() => undefined, () => true);
  if (await gone()) return;
  await core.deleteNamespace({ name: ctx.namespace });
  await waitFor(gone, () => new Error(`namespace ${ctx.namespace} of lesson ${lesson.id} was not deleted within 120 s`), 120_000);
}
