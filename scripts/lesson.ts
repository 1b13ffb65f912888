// npm run lesson -- list
// npm run lesson -- run <id> [--step N]     do the lesson's steps (or just step N) and check each
// npm run lesson -- verify <id>             reset, then run and check every step in order
// npm run lesson -- reset <id>              remove everything the lesson created
// Add --context <name> to act on a context that is not the workshop's own.
import { parseArgs } from 'node:util';
import { findLesson, lessons } from '../patterns/catalog.ts';
import { cannotRun, openContext, resetLesson, runStep, verifyLesson } from '../patterns/runner.ts';
import { guardedKubeConfig } from './cluster/context-guard.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { step: { type: 'string' }, context: { type: 'string' } },
});
const [command, id] = positionals;

async function main(): Promise<void> {
  if (command === 'list') {
    for (const l of lessons) console.log(`${l.id.padEnd(24)} ${String(l.number).padStart(2, '0')}  ${l.title} — ${l.goal}`);
    return;
  }
  if (!['run', 'verify', 'reset'].includes(command ?? '')) {
    throw new Error(`unknown command "${command ?? ''}"; use list, run <id> [--step N], verify <id> or reset <id>`);
  }
  if (!id) throw new Error(`${command} needs a lesson id; see "npm run lesson -- list"`);
  const lesson = findLesson(id);
  const ctx = await openContext(lesson, guardedKubeConfig(values.context));
  try {
    if (command === 'reset') {
      await resetLesson(lesson, ctx);
      console.log(`reset: namespace ${ctx.namespace} removed`);
    } else if (command === 'verify') {
      const r = await verifyLesson(lesson, ctx, console.log);
      console.log(`verified: ${r.verified}/${r.total} steps, ${r.skipped.length} skipped (need containers)`);
      if (r.failure) process.exitCode = 1;
    } else {
      const steps = values.step ? [stepByNumber(values.step)] : lesson.steps;
      for (const step of steps) {
        const reason = cannotRun(step.needs, ctx.containers);
        if (reason) {
          console.log(`skip ${step.id}: ${reason}`);
          continue;
        }
        for (const c of step.commands) console.log(`$ ${c}`);
        await runStep(step, ctx);
        await step.verify(ctx);
        console.log(`ok   ${step.id}: ${step.expected}`);
      }
    }
  } finally {
    await ctx.close();
  }

  function stepByNumber(n: string) {
    const step = lesson.steps[Number(n) - 1];
    if (!step) throw new Error(`lesson ${lesson.id} has steps 1 to ${lesson.steps.length}, not "${n}"`);
    return step;
  }
}

try {
  await main();
} catch (error) {
  console.error(`lesson: ${(error as Error).message}`);
  process.exitCode = 1;
}
