// Every lesson, verified end to end against the real control plane: the same code path as
// `npm run lesson -- verify <id>`. On kwok's fake nodes alone, the steps that need containers are
// skipped, each saying why; beside a real node (or on kind) they run and must pass. And for every
// step, what bash actually executed is exactly the step's commands: no hidden code does the work.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../patterns/catalog.ts';
import type { Step } from '../patterns/lesson.ts';
import { NEEDS_CONTAINERS, openContext, resetLesson, verifyLesson, type OpenContext, type TranscriptEvent } from '../patterns/runner.ts';
import { testKubeConfig } from './cluster.ts';

// Recorded at the shell: every bash the runner starts sources this file first (see the file).
const commandLog = join(mkdtempSync(join(tmpdir(), 'k8s-patterns-commands-')), 'log');
process.env.BASH_ENV = join(import.meta.dirname, 'record-commands.bash');
process.env.KIT_COMMAND_LOG = commandLog;
const executed = () => readFileSync(commandLog, 'utf8').split('\0').filter(Boolean);

/** What a step types into a shell: every command but a Ctrl-C. */
const shellCommands = (step: Step) => step.commands.flatMap((c) =>
  typeof c === 'string' ? [c] : 'fails' in c ? [c.fails] : 'start' in c ? [c.start] : []);

/** The rollouts the lessons' steps recorded, by app, point by point as the site's chart gets them. */
const rollouts = new Map<string, Extract<TranscriptEvent, { type: 'rollout' }>['point'][]>();

describe.each(lessons)('lesson $id', (lesson) => {
  let ctx: OpenContext;
  const transcript: TranscriptEvent[] = [];
  beforeAll(async () => {
    ctx = await openContext(lesson, testKubeConfig(), (event) => {
      transcript.push(event);
      if (event.type === 'rollout') rollouts.set(event.app, [...(rollouts.get(event.app) ?? []), event.point]);
    });
  });
  // Reset afterwards too: a lesson's leftovers (lesson 9's in-cluster operator, lesson 10's front)
  // must not act on the suites that run after it.
  afterAll(async () => {
    if (ctx) await resetLesson(lesson, ctx).finally(() => ctx.close());
  });

  it('verifies every step that can run here, running exactly its commands, and skips the others saying why', async () => {
    const ran = new Map<string, string[]>();
    const result = await verifyLesson(lesson, ctx, {
      starting: () => writeFileSync(commandLog, ''),
      ran: (step) => ran.set(step.id, executed()),
    });
    const text = transcript.map((e) => ('terminal' in e && e.terminal ? `[${e.terminal}] ` : '') + ('text' in e ? e.text : '')).join('\n');
    expect(result.failure?.message, text).toBeUndefined();
    for (const step of lesson.steps.filter((s) => ran.has(s.id))) {
      expect(ran.get(step.id), `what bash executed for step ${step.id}`).toEqual(shellCommands(step));
    }
    // Without a real node nothing that needs containers may run, let alone pass.
    const cannot = ctx.containers ? [] : lesson.steps.filter((s) => s.needs === 'containers');
    expect(result.skipped).toEqual(cannot);
    if (cannot.length) expect(transcript).toContainEqual({ type: 'note', text: `skipped: ${NEEDS_CONTAINERS}` });
    expect(result.verified).toBe(lesson.steps.length - cannot.length);
    expect(result.verified).toBeGreaterThan(0);
    // Every command shows up in the transcript, and every step ends with what its check saw.
    for (const step of lesson.steps.filter((s) => ran.has(s.id))) {
      for (const command of shellCommands(step)) expect(transcript).toContainEqual(expect.objectContaining({ type: 'command', text: command }));
    }
    expect(transcript.filter((e) => e.type === 'verdict' && e.ok)).toHaveLength(result.verified);
  });
});

describe('declarative-deployment recordings', () => {
  // Streamed in the transcript while the lesson ran above (test files run their tests in order).
  it('a rolling update overlaps and never drops below the allowed availability', async () => {
    const series = rollouts.get('rolling')!;
    expect(series.some((p) => p.old > 0 && p.new > 0)).toBe(true);
    // 4 replicas, maxUnavailable 1: at least 3 ready pods at every moment.
    expect(Math.min(...series.map((p) => p.old + p.new))).toBeGreaterThanOrEqual(3);
    expect(series.at(-1)).toMatchObject({ old: 0, new: 4 });
  });

  it('a recreate has a gap with no version ready, after the old version was up', async () => {
    // The step applies the Deployment first, so the recording starts with the old version coming up.
    const series = rollouts.get('recreate')!;
    const oldUp = series.findIndex((p) => p.old === 3);
    expect(oldUp).toBeGreaterThanOrEqual(0);
    expect(series.slice(oldUp).some((p) => p.old === 0 && p.new === 0)).toBe(true);
    expect(series.some((p) => p.old > 0 && p.new > 0)).toBe(false);
    expect(series.at(-1)).toMatchObject({ old: 0, new: 3 });
  });
});
