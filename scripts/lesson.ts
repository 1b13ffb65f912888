// npm run lesson -- list
// npm run lesson -- run <id> [--step N]     run the lesson's steps (or just step N), each then checked
// npm run lesson -- check <id> [--step N]   only the checks, against the cluster as it is
// npm run lesson -- verify <id>             reset, then run and check every step in order
// npm run lesson -- reset <id>              stop the lesson's programs and remove what it created
// npm run lesson -- status                  the programs running in their own terminals
// Add --context <name> to act on a context that is not the workshop's own.
import { parseArgs } from 'node:util';
import { findLesson, lessons } from '../patterns/catalog.ts';
import type { Lesson, Step } from '../patterns/lesson.ts';
import { logTail, programsDir, runningPrograms } from '../patterns/programs.ts';
import { cannotRun, doStep, openContext, resetLesson, verifyLesson, type OpenContext, type TranscriptEvent } from '../patterns/runner.ts';
import { guardedKubeConfig } from '../kind/client-node-config.ts';

const USAGE = 'usage: npm run lesson -- list | status | run <id> [--step N] | check <id> [--step N] | verify <id> | reset <id>  [--context <name>]';

class UsageError extends Error {}

function parse() {
  // Without `--`, npm keeps options for itself and hands them over only as npm_config_* variables:
  // the lesson would then run every step when the attendee asked for one.
  for (const option of ['step', 'context']) {
    if (process.env[`npm_config_${option}`] !== undefined) {
      throw new UsageError(`npm took --${option} for itself: put -- before the lesson's options (npm run lesson -- run <id> --${option} …)`);
    }
  }
  try {
    return parseArgs({ allowPositionals: true, options: { step: { type: 'string' }, context: { type: 'string' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Prints a transcript as it comes: commands as typed, their output as it streams, then the verdict. */
function printer(label: () => string) {
  let lineOpen = false; // output that did not end its last line (`base64 -d` prints no newline)
  const line = (text: string) => {
    console.log(`${lineOpen ? '\n' : ''}${text}`);
    lineOpen = false;
  };
  return (event: TranscriptEvent) => {
    if (event.type === 'output') {
      process.stdout.write(event.text);
      lineOpen = !event.text.endsWith('\n');
    } else if (event.type === 'command') line(event.terminal ? `\n[${event.terminal} terminal] $ ${event.text}` : `\n$ ${event.text}`);
    else if (event.type === 'note') line(`# ${event.text}`);
    else if (event.type === 'progress') { if (event.text) line(`… ${event.text}`); }
    else if (event.type === 'verdict') line(`${event.ok ? 'ok  ' : 'FAIL'} ${label()}: ${event.text}\n`);
    // Not printed: a rollout's points (type 'rollout') are for the site's chart.
  };
}

async function main(): Promise<void> {
  const { positionals, values } = parse();
  const [command, id, ...extra] = positionals;
  if (command === 'list') {
    for (const l of lessons) console.log(`${l.id.padEnd(24)} ${String(l.number).padStart(2, '0')}  ${l.title} — ${l.goal}`);
    return;
  }
  if (command === 'status') return status(values.context);
  if (!['run', 'check', 'verify', 'reset'].includes(command ?? '')) throw new UsageError(`unknown command "${command ?? ''}"`);
  if (!id) throw new UsageError(`${command} needs a lesson id; see "npm run lesson -- list"`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.step !== undefined && (command === 'verify' || command === 'reset')) throw new UsageError(`${command} takes no --step`);
  const lesson = findLesson(id);
  const steps = values.step === undefined ? lesson.steps : [stepOf(lesson, values.step)];

  let current = '';
  const ctx = await openContext(lesson, guardedKubeConfig(values.context), printer(() => current));
  stopOnSignals(ctx);
  try {
    if (command === 'reset') {
      await resetLesson(lesson, ctx);
      console.log(`reset: namespace ${ctx.namespace} removed`);
    } else if (command === 'verify') {
      const r = await verifyLesson(lesson, ctx, { starting: (step) => {
        current = label(lesson, step);
        console.log(`== ${current}: ${step.title}`);
      } });
      console.log(`verified: ${r.verified}/${r.total} steps, ${r.skipped.length} skipped (need containers)`);
      if (r.failure) process.exitCode = 1;
    } else {
      for (const step of steps) {
        current = label(lesson, step);
        const reason = cannotRun(step.needs, ctx.containers);
        if (reason) {
          console.log(`skip ${current}: ${reason}`);
          continue;
        }
        if (command === 'run') console.log(`== ${current}: ${step.title}`);
        const outcome = await doStep(step, ctx, { checkOnly: command === 'check' });
        if (!outcome.ok) {
          process.exitCode = 1;
          break;
        }
      }
    }
  } finally {
    await ctx.close();
  }
}

const label = (lesson: Lesson, step: Step) => `step ${lesson.steps.indexOf(step) + 1} ${step.id}`;

function stepOf(lesson: Lesson, n: string): Step {
  const step = lesson.steps[Number(n) - 1] ?? lesson.steps.find((s) => s.id === n);
  if (!step) throw new UsageError(`lesson ${lesson.id} has steps 1 to ${lesson.steps.length}, not "${n}"`);
  return step;
}

/**
 * Ctrl-C, SIGTERM or a closed pipe (`| head`) end the CLI, and with it the command in progress
 * (it shares the terminal's signal). The private kubeconfig goes; the programs in their own
 * terminals keep running, as they would after the attendee closed some other window.
 */
function stopOnSignals(ctx: OpenContext): void {
  const end = async (why: string, code: number) => {
    await ctx.close();
    const left = (await runningPrograms(ctx.programs)).map((p) => p.terminal);
    console.error(`\nlesson: ${why}: stopped the command in progress and removed the private kubeconfig` +
      (left.length ? `; still running in their own terminals: ${left.join(', ')} (npm run lesson -- status)` : ''));
    process.exit(code);
  };
  process.once('SIGINT', () => void end('interrupted', 130));
  process.once('SIGTERM', () => void end('terminated', 143));
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') void end('output closed', 0);
  });
}

async function status(context?: string): Promise<void> {
  const kc = guardedKubeConfig(context);
  const running = await runningPrograms(programsDir(kc));
  if (!running.length) return console.log('no programs running in their own terminals');
  for (const p of running) {
    console.log(`${p.lesson} / ${p.terminal}: pid ${p.pid}, ${p.command}\n  log: ${p.log}`);
    console.log((await logTail(p, 3)).replace(/^/gm, '  | '));
  }
}

try {
  await main();
} catch (error) {
  console.error(`lesson: ${(error as Error).message}`);
  if (error instanceof UsageError) console.error(USAGE);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
