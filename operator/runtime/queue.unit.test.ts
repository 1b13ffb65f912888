import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './queue.ts';

// Whether get() has resolved yet, without waiting for it.
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  let result: { value: T } | undefined;
  void promise.then((value) => (result = { value }));
  await Promise.resolve();
  await Promise.resolve();
  return result;
}

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('queues a key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
  });

  it('never hands a key to two workers; a key added while processing comes back after done()', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    expect(await queue.get()).toBe('ns/a');
    queue.add('ns/a'); // changed while the first worker is still on it
    const second = queue.get();
    expect(await settled(second)).toBeUndefined(); // a second worker must wait
    queue.done('ns/a');
    expect(await second).toBe('ns/a');
  });

  it('backs off per key: 5 ms, 10 ms, 20 ms, …, capped at 60 s, and forget() resets it', async () => {
    const queue = new WorkQueue();
    const delays: number[] = [];
    for (let i = 0; i < 16; i++) {
      const start = Date.now();
      queue.addRateLimited('ns/a');
      const next = queue.get();
      await vi.advanceTimersToNextTimerAsync();
      expect(await next).toBe('ns/a');
      delays.push(Date.now() - start);
      queue.done('ns/a');
    }
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays.at(-1)).toBe(60_000);
    queue.forget('ns/a');
    expect(queue.failures('ns/a')).toBe(0);
  });

  it('holds a failing key to its backoff, however many events add it meanwhile', async () => {
    const queue = new WorkQueue({ baseDelayMs: 1000 });
    queue.add('ns/a');
    expect(await queue.get()).toBe('ns/a');
    queue.add('ns/a'); // an event while the failing pass runs
    queue.addRateLimited('ns/a'); // the pass failed: retry in 1 s
    queue.done('ns/a');
    for (let i = 0; i < 100; i++) queue.add('ns/a'); // a storm of events for the same key
    const next = queue.get();
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(next)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await next).toBe('ns/a');
    queue.done('ns/a');
    expect(queue.length).toBe(0); // one retry, not one per event
  });

  it('keeps the earlier of two delayed adds (requeueAfter)', async () => {
    const queue = new WorkQueue();
    queue.addAfter('ns/a', 1000);
    queue.addAfter('ns/a', 5000);
    const next = queue.get();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await next).toBe('ns/a');
  });

  it('on shutdown stops handing out work, drops queued keys and waits for the keys in progress', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    expect(await queue.get()).toBe('ns/a');
    let drained = false;
    const shutDown = queue.shutDown().then(() => (drained = true));
    expect(await queue.get()).toBeUndefined(); // ns/b is dropped: a restart relists everything
    queue.add('ns/c');
    expect(queue.length).toBe(0);
    await Promise.resolve();
    expect(drained).toBe(false); // ns/a is still being reconciled
    queue.done('ns/a');
    await shutDown;
    expect(drained).toBe(true);
  });
});
