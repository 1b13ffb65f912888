// A controller wires informers to a work queue and the queue to a reconcile function. Read it in
// the order it runs: constructor (what to watch), run (fill the caches, start workers), the worker
// loop, processNext (one key, one reconcile), then the enqueue helpers and stop.
//
// The reconcile function gets only a key. It reads the current state from the informers' caches,
// compares it with the desired state, and acts. It must be idempotent: the same key can come
// back at any time (a resync, a restart, an unrelated change), and running it again on a world
// that is already right must change nothing, not even a status timestamp.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeApiError } from './api-error.ts';
import { keyOf, type EventType } from './informer.ts';
import type { Metrics } from './metrics.ts';
import type { Outcome } from './outcome.ts';
import { WorkQueue, type QueueOptions } from './queue.ts';

export interface Result {
  /** Come back after a while, even if nothing changes (polling a world we cannot watch). */
  requeueAfterMs?: number;
  /** What the pass did, for the log (see outcome.ts). A pass without one (its object is gone) logs nothing. */
  outcome?: Outcome;
}

export type Reconcile = (key: string) => Promise<Result | void>;

/**
 * What a controller needs from an informer. Stated as an interface so that an informer of any
 * kind fits (Informer<ConfigWatcher> is not an Informer<KubernetesObject> to TypeScript).
 */
export interface Source {
  /** Names the objects in the log: "ConfigWatcher operator/web-watcher: …". */
  readonly type?: { kind: string };
  subscribe(handler: (type: EventType, object: KubernetesObject) => void): void;
  list(): KubernetesObject[];
  start(): Promise<void>;
}

/** A secondary resource and how to find the primary keys that care about one of its objects. */
export interface Watches {
  informer: Source;
  keysFor: (object: KubernetesObject) => string[];
  /**
   * Queue the keys this much later. For a primary that sums up many secondaries (an env listing
   * its apps): a burst of their events then makes one pass, and one status write, not one each.
   */
  delayMs?: number;
}

export interface ControllerOptions {
  name: string;
  /** The resource this controller reconciles; the queue's keys are its objects' keys. */
  primary: Source;
  watches?: Watches[];
  reconcile: Reconcile;
  /** Keys reconciled in parallel. One key never runs twice at once, whatever this says. */
  workers?: number;
  /** Every this many ms, every primary key is queued again, to repair anything an event missed. */
  resyncMs?: number;
  queue?: QueueOptions;
  /**
   * Records a failed pass where people look, usually a condition on the primary object. Called for
   * every failure the controller logs, except a RecordedFailure: the reconcile recorded that one.
   */
  onFailure?: (key: string, error: unknown) => Promise<void>;
  metrics?: Metrics;
  log?: (line: string) => void;
}

/**
 * Thrown by a reconcile that has already recorded why it failed (in a condition): the controller
 * only logs it and retries with backoff.
 */
export class RecordedFailure extends Error {}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;
  readonly #log: (line: string) => void;
  #workers: Promise<void>[] = [];
  #resync?: NodeJS.Timeout;
  /** Per key, the last line logged for a pass that wrote nothing: it is not repeated. */
  readonly #quiet = new Map<string, string>();

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(`[${options.name}] ${line}`));
    this.queue = new WorkQueue(options.queue);
    // Handlers only enqueue keys. Doing work inside a handler would block the informer (and every
    // other controller sharing it), and would lose the work if it failed.
    options.primary.subscribe((_type, object) => this.queue.add(keyOf(object)));
    for (const { informer, keysFor, delayMs = 0 } of options.watches ?? []) {
      informer.subscribe((_type, object) => {
        // A key function sees every object the API server accepted, however odd. One that throws
        // costs this event for this controller only, and says so; the resync catches up later.
        let keys: string[];
        try {
          keys = keysFor(object);
        } catch (error) {
          return this.#log(`${informer.type?.kind ?? 'watch'} ${keyOf(object)}: no keys for ${this.name}: ${describeApiError(error)}`);
        }
        keys.forEach((key) => this.queue.addAfter(key, delayMs));
      });
    }
    options.metrics?.gauge('workqueue_depth', { name: options.name }, () => this.queue.length);
  }

  /**
   * Fills the caches, queues every existing object once, then starts the workers. Waiting for
   * the caches matters: a reconcile on an empty cache would think the world is empty and act on
   * that, for instance by recreating what already exists.
   */
  async run(): Promise<void> {
    const { primary, watches = [], workers = 2, resyncMs } = this.#options;
    await Promise.all([primary, ...watches.map((w) => w.informer)].map((i) => i.start()));
    this.#enqueueAll(); // informers shared with others may have announced their objects before we subscribed
    for (let i = 0; i < workers; i++) this.#workers.push(this.#worker());
    if (resyncMs) this.#resync = setInterval(() => this.#enqueueAll(), resyncMs);
  }

  /** Each worker takes one key at a time until the queue shuts down. */
  async #worker(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      await this.#processNext(key);
    }
  }

  async #processNext(key: string): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.#options.reconcile(key);
      // Success resets the key's backoff, so a later failure starts again at the queue's base delay.
      this.queue.forget(key);
      if (result?.requeueAfterMs) this.queue.addAfter(key, result.requeueAfterMs);
      this.#report(key, result?.outcome);
      this.#observe(result?.requeueAfterMs ? 'requeue' : 'success', started);
    } catch (error) {
      // Any error, a 409 Conflict included, means "not done yet": try again after the key's
      // backoff. A conflict clears itself: by then the cache holds the newer object. So a
      // conflict is retried quietly; only one that persists is worth a line.
      const attempt = this.queue.failures(key) + 1;
      if ((error as { code?: number }).code !== 409 || attempt >= CONFLICTS_BEFORE_LOGGING) {
        this.#log(`${this.#noun} ${key}: failed (attempt ${attempt}, retrying): ${describeApiError(error)}`);
        this.#quiet.delete(key);
        // Whatever failed (a 5xx, a timeout, a persisting conflict, a bug), the object says so:
        // a log line is read by whoever runs the operator, a condition by whoever wrote the object.
        if (!(error instanceof RecordedFailure)) await this.#record(key, error);
      }
      // Set before done(): from here until the retry, every add of this key (a resync, an event
      // of a related object) is held by the queue, so a failing key is tried on its backoff only.
      this.queue.addRateLimited(key);
      this.#observe('error', started);
    } finally {
      this.queue.done(key);
    }
  }

  /** Records the failure; one that cannot be recorded (the API server is down, say) is only logged. */
  async #record(key: string, error: unknown): Promise<void> {
    try {
      await this.#options.onFailure?.(key, error);
    } catch (recording) {
      this.#log(`${this.#noun} ${key}: could not record the failure: ${describeApiError(recording)}`);
    }
  }

  /**
   * One line per pass that did something. A pass that wrote nothing (a resync, an event that
   * changed nothing we care about) is logged once, not every time: "unchanged" after a change
   * tells the reader the world has settled; ten more would only bury the next real line.
   */
  #report(key: string, outcome: Outcome | undefined): void {
    if (!outcome) return void this.#quiet.delete(key);
    const line = `${this.#noun} ${key}: ${outcome}`;
    if (outcome.changed) this.#quiet.delete(key);
    else if (this.#quiet.get(key) === line) return;
    else this.#quiet.set(key, line);
    this.#log(line);
  }

  get #noun(): string {
    return this.#options.primary.type?.kind ?? this.name;
  }

  #observe(result: 'success' | 'requeue' | 'error', started: number): void {
    this.#options.metrics?.observeReconcile(this.name, result, (performance.now() - started) / 1000);
  }

  #enqueueAll(): void {
    for (const object of this.#options.primary.list()) this.queue.add(keyOf(object));
  }

  /** Stops taking work and waits for the reconciles in progress: no write is cut off halfway. */
  async stop(): Promise<void> {
    clearInterval(this.#resync);
    await this.queue.shutDown();
    await Promise.all(this.#workers);
  }
}

/** A conflict on this many attempts in a row is no longer a cache a moment behind: say so. */
const CONFLICTS_BEFORE_LOGGING = 3;

