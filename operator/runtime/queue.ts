// The work queue sits between "something changed" (informer events, timers, resyncs) and "make it
// right" (reconcile). It holds keys ("namespace/name"), never objects: by the time a worker gets to
// a key the object may have changed again, so the worker always reads the latest state from the
// cache. That is what makes a controller level-triggered: ten quick edits become one reconcile.
//
// The rules, as in client-go's workqueue:
// - A key is queued at most once (dedupe), however often it is added.
// - A key is processed by at most one worker at a time. Adding a key that is being processed marks
//   it "dirty"; it is queued again when the worker calls done(), so the change is not lost.
// - Failures back off per key, doubling from a base delay up to a cap (by default 5 ms, 10 ms,
//   20 ms … 60 s; client-go also starts at 5 ms), so one broken object cannot keep the workers busy
//   or hammer the API server, while the others carry on. A controller may choose its own: the
//   Clowder operator uses Clowder's 500 ms to 60 s. Unlike client-go, the backoff holds whatever
//   adds the key: an event for a failing key waits for its retry.

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  /** Keys waiting for a worker, in arrival order. */
  readonly #ready: string[] = [];
  /** Keys that need processing: those in #ready, plus processing keys that changed meanwhile. */
  readonly #dirty = new Set<string>();
  /** Keys a worker holds right now. */
  readonly #processing = new Set<string>();
  /** Consecutive failures per key, for the backoff. */
  readonly #failures = new Map<string, number>();
  /** Delayed adds: the earliest due time per key, and its timer. */
  readonly #delayed = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  /** Workers parked in get() while the queue is empty. */
  #waiting: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  /** Resolves drain() once the last processing key is done. */
  #drained?: () => void;

  constructor(options: QueueOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  /** Keys waiting for a worker (the queue depth metric). */
  get length(): number {
    return this.#ready.length;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return; // already queued: dedupe
    // Failing and waiting out its backoff: the retry reads the latest state anyway. Without this,
    // a busy watch (every ClowdApp event queues its environment) turns one failure into hundreds a second.
    if (this.#failures.has(key) && this.#delayed.has(key)) return;
    this.#dirty.add(key);
    // Being processed: done() queues it again, so two workers never hold the same key.
    if (this.#processing.has(key)) return;
    const worker = this.#waiting.shift();
    if (worker) {
      this.#take(key);
      worker(key);
    } else {
      this.#ready.push(key);
    }
  }

  /** Adds the key after a delay. A key already due earlier keeps its earlier time. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const due = Date.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { due, timer });
  }

  /** Adds the key after its backoff: base × 2^failures, capped. Call after a failed reconcile. */
  addRateLimited(key: string): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.addAfter(key, Math.min(this.#baseDelayMs * 2 ** failures, this.#maxDelayMs));
  }

  /** Forgets the key's failures. Call after a successful reconcile, so the next failure starts at the base delay. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting if there is none. Resolves to undefined once the queue is
   * shutting down: that is the workers' signal to return. Every key got must be given back with done().
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#ready.shift();
    if (key !== undefined) {
      this.#take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #take(key: string): void {
    this.#dirty.delete(key);
    this.#processing.add(key);
  }

  /** The worker is finished with the key. If it was added meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      this.#dirty.delete(key);
      this.add(key);
    }
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  /**
   * Stops handing out work and resolves once every key being processed is done. Queued and
   * delayed keys are dropped: the controller is level-triggered, so whoever runs next (this
   * process after a restart, or the next leader) lists everything and catches up.
   */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#ready.length = 0;
    this.#dirty.clear();
    for (const worker of this.#waiting) worker(undefined);
    this.#waiting = [];
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }
}
