// An informer keeps a local copy (the cache) of one resource type and tells its subscribers
// what changed. It is the reason a controller can read as often as it likes without loading the
// API server: reads come from memory; only changes travel over the network.
//
// The protocol is list-then-watch:
// 1. LIST everything. The list carries a resourceVersion: the point in etcd's history it shows.
// 2. WATCH from exactly that resourceVersion, so no change between the two requests is missed.
// 3. Each event carries the object's new resourceVersion; remember the latest one, so a watch
//    that ends (the server closes watches every few minutes) resumes where it left off.
// 4. If the server answers 410 Gone, the history we asked for has been compacted away: the only
//    way to be correct again is to LIST afresh and diff the result against the cache.
//
// client-node ships an informer (ListWatch), but it stops for good on most errors: a restarted
// API server or a network blip would leave a controller deaf until its process restarts. This one
// retries everything, with exponential backoff so a down server is not hammered.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiError, describeApiError } from './api-error.ts';
import type { KubeClient } from './kube-client.ts';

export type EventType = 'add' | 'update' | 'delete';
export type Handler<T> = (type: EventType, object: T, old?: T) => void;

export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
}

/** The cache key of an object, as client-go spells it: "namespace/name", or "name" if cluster-scoped. */
export function keyOf(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const [first, second] = key.split('/');
  return second === undefined ? { name: first } : { namespace: first, name: second };
}

/** The watch ended with 410 Gone: the resourceVersion we asked for is no longer in history. */
class GoneError extends Error {}

export interface InformerOptions {
  /** Lists the objects. Defaults to a LIST of the resource type; tests replace it to provoke a 410. */
  list?: () => Promise<KubernetesListObject<KubernetesObject>>;
  /** First retry delay after an error; it doubles up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (line: string) => void;
}

export class Informer<T extends KubernetesObject> {
  readonly type: ResourceType;
  readonly #client: KubeClient;
  readonly #list: () => Promise<KubernetesListObject<KubernetesObject>>;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #log: (line: string) => void;

  /**
   * The cache. Subscribers and reconcilers get these very objects, never copies, so they must
   * never modify them: a changed cached object would make the next diff lie ("nothing changed")
   * and would leak into every other reader. Copy first (structuredClone) to build a new version.
   */
  readonly #cache = new Map<string, T>();
  readonly #handlers: Handler<T>[] = [];
  #resourceVersion = '';
  #stop?: AbortController;
  #running?: Promise<void>;
  #hasSynced = false;
  #markSynced!: () => void;
  readonly #synced = new Promise<void>((resolve) => (this.#markSynced = resolve));
  #lists = 0;

  constructor(client: KubeClient, type: ResourceType, options: InformerOptions = {}) {
    this.type = type;
    this.#client = client;
    this.#list = options.list ?? (() => client.list(type.apiVersion, type.kind, type.namespace));
    this.#baseBackoffMs = options.baseBackoffMs ?? 200;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#log = options.log ?? (() => {});
  }

  /** Calls handler for every change, after the cache has been updated. */
  subscribe(handler: Handler<T>): void {
    this.#handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.#cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** How many LISTs this informer made: the first, plus one per relist (after a 410 Gone). */
  get lists(): number {
    return this.#lists;
  }

  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  /** Starts listing and watching (once); resolves when the first list is in the cache. */
  start(): Promise<void> {
    if (!this.#running) {
      this.#stop = new AbortController();
      this.#running = this.#run(this.#stop.signal);
    }
    return this.#synced;
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #run(stop: AbortSignal): Promise<void> {
    let failures = 0;
    while (!stop.aborted) {
      try {
        if (!this.#resourceVersion) await this.#relist();
        await this.#watchFrom(this.#resourceVersion, stop);
        failures = 0; // a watch that ended normally: resume from the last resourceVersion
      } catch (error) {
        if (stop.aborted) break;
        if (error instanceof GoneError || apiError(error).code === 410) {
          this.#log(`${this.type.kind}: 410 Gone, relisting`);
          this.#resourceVersion = ''; // no backoff: a relist is the cure, not a retry
          continue;
        }
        // Anything else (connection refused, 500, 403, a reset stream): keep what we know and try
        // again later. The cache goes stale meanwhile, but reconcilers still see a consistent past.
        const delay = Math.min(this.#baseBackoffMs * 2 ** failures++, this.#maxBackoffMs);
        this.#log(`${this.type.kind}: ${describeApiError(error)}; retrying in ${delay} ms`);
        await sleep(delay, undefined, { signal: stop }).catch(() => {});
      }
    }
  }

  /** LISTs, then turns the difference between the old cache and the list into events. */
  async #relist(): Promise<void> {
    this.#lists++;
    const list = await this.#list();
    const fresh = new Map<string, T>();
    for (const item of list.items) {
      // Items of a list carry no apiVersion/kind (the list does); add them, so that every
      // cached object can be patched or referenced on its own.
      const object = { apiVersion: this.type.apiVersion, kind: this.type.kind, ...item } as T;
      fresh.set(keyOf(object), object);
    }
    for (const [key, old] of this.#cache) {
      if (!fresh.has(key)) this.#apply('delete', old);
    }
    for (const [key, object] of fresh) {
      const old = this.#cache.get(key);
      if (!old) this.#apply('add', object);
      // Same resourceVersion, same object: announcing it would only make reconcilers run for nothing.
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.#apply('update', object);
    }
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.#hasSynced) {
      this.#hasSynced = true;
      this.#markSynced();
    }
  }

  /** Watches from resourceVersion until the stream ends; rejects on errors and on 410 Gone. */
  async #watchFrom(resourceVersion: string, stop: AbortSignal): Promise<void> {
    const { apiVersion, kind, namespace } = this.type;
    let failure: Error | undefined;
    await this.#client.watch(
      await this.#client.collectionPath(apiVersion, kind, namespace),
      // Bookmarks move our resourceVersion forward even when nothing we watch changes, so a
      // resumed watch rarely starts from a compacted point. The server ends each watch within
      // 25 s, so a connection that died without a word is noticed soon (see KubeClient.watch).
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 25 },
      (phase, received) => {
        const object = received as T & { code?: number; message?: string };
        if (phase === 'ERROR') {
          // The server reports 410 inside a 200 stream, then closes it.
          failure = object.code === 410 ? new GoneError(object.message) : new Error(object.message);
          return;
        }
        if (phase === 'ADDED') this.#apply(this.#cache.has(keyOf(object)) ? 'update' : 'add', object);
        else if (phase === 'MODIFIED') this.#apply('update', object);
        else if (phase === 'DELETED') this.#apply('delete', object);
        this.#resourceVersion = object.metadata?.resourceVersion ?? this.#resourceVersion;
      },
      stop,
    );
    if (failure) throw failure;
  }

  #apply(type: EventType, object: T): void {
    // managedFields (who set which field, for server-side apply) is often the larger half of an
    // object's metadata, and no reader of a cache needs it: the API server keeps it, we need not.
    // The object is fresh from the list or watch, not yet shared, so this is the one place to trim.
    if (object.metadata?.managedFields) delete object.metadata.managedFields;
    const key = keyOf(object);
    const old = this.#cache.get(key);
    if (type === 'delete') this.#cache.delete(key);
    else this.#cache.set(key, object);
    // Each subscriber on its own: an exception would otherwise skip every later subscriber and
    // end the watch, and the event would be lost.
    for (const handler of this.#handlers) {
      try {
        handler(type, object, old);
      } catch (error) {
        this.#log(`${this.type.kind} ${key}: a subscriber failed on ${type}: ${describeApiError(error)}`);
      }
    }
  }
}
