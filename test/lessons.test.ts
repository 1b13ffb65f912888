// Every lesson, verified end to end against the real control plane: the same code path as
// `npm run lesson -- verify <id>`. On kwok's fake nodes alone, the steps that need containers are
// skipped, each saying why; beside a real node (or on kind) they run and must pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecording } from '../patterns/01-declarative-deployment/recorder.ts';
import { lessons } from '../patterns/catalog.ts';
import { NEEDS_CONTAINERS, openContext, resetLesson, verifyLesson, type OpenContext } from '../patterns/runner.ts';
import { testKubeConfig } from './cluster.ts';

describe.each(lessons)('lesson $id', (lesson) => {
  let ctx: OpenContext;
  beforeAll(async () => {
    ctx = await openContext(lesson, testKubeConfig());
  });
  // Reset afterwards too: a lesson's leftovers (lesson 9's in-cluster operator) must not act on
  // the suites that run after it.
  afterAll(async () => {
    if (ctx) await resetLesson(lesson, ctx).finally(() => ctx.close());
  });

  it('verifies every step that can run here, and skips the others saying why', async () => {
    const log: string[] = [];
    const result = await verifyLesson(lesson, ctx, (line) => log.push(line));
    expect(result.failure?.error.message, log.join('\n')).toBeUndefined();
    // Without a real node nothing that needs containers may run, let alone pass.
    const cannot = ctx.containers ? [] : lesson.steps.filter((s) => s.needs === 'containers');
    expect(result.skipped).toEqual(cannot);
    for (const step of cannot) {
      expect(log).toContain(`skip step ${lesson.steps.indexOf(step) + 1} ${step.id} (${NEEDS_CONTAINERS})`);
    }
    expect(result.verified).toBe(lesson.steps.length - cannot.length);
    expect(result.verified).toBeGreaterThan(0);
  });
});

describe('declarative-deployment recordings', () => {
  // Recorded while the lesson ran above (test files run their tests in order).
  it('a rolling update overlaps and never drops below the allowed availability', async () => {
    const series = (await loadRecording('declarative-deployment', 'rolling'))!;
    expect(series.some((p) => p.old > 0 && p.new > 0)).toBe(true);
    // 4 replicas, maxUnavailable 1: at least 3 ready pods at every moment.
    expect(Math.min(...series.map((p) => p.old + p.new))).toBeGreaterThanOrEqual(3);
    expect(series.at(-1)).toMatchObject({ old: 0, new: 4 });
  });

  it('a recreate has a gap with no version ready', async () => {
    const series = (await loadRecording('declarative-deployment', 'recreate'))!;
    expect(series.some((p) => p.old === 0 && p.new === 0)).toBe(true);
    expect(series.some((p) => p.old > 0 && p.new > 0)).toBe(false);
    expect(series.at(-1)).toMatchObject({ old: 0, new: 3 });
  });
});
