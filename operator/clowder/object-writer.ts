// Writes the objects a reconcile built, but only those that need it. This is what keeps a
// settled operator silent (§0): a resync that finds everything as built sends no request at all,
// so no resourceVersion moves, no generation moves, and no pod restarts for nothing.
//
// Writing uses server-side apply: we send the complete object as we want it, and the API server
// merges it with fields others own (a Service's clusterIP, an allocated nodePort, annotations
// added by other tools). Fields we sent before and leave out now are removed, because the server
// remembers that we owned them.
//
// Deciding whether to write takes two checks, because neither is enough alone:
// 1. Does the live object (from the informer cache) still hold every field we want, with our
//    values? Server defaults add fields; that is fine. A hand edit of one of our fields fails this
//    check, and the apply puts it back.
// 2. Is what we want now exactly what we last applied? If we dropped a field (an annotation, a
//    toleration), check 1 still passes (the live object has more than we want), but the apply
//    is needed to remove it. We remember the last applied form per object for that, as a hash:
//    the whole form would keep a second copy of every object we wrote, beside the cache's.
//    After a restart the memory is empty, so every object is applied once; an unchanged apply
//    is a no-op on the server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { apiError } from '../runtime/api-error.ts';
import { apply } from '../runtime/apply.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import type { Change } from '../runtime/outcome.ts';
import { FIELD_MANAGER } from './api.ts';

export function objectKey(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return `${object.apiVersion}/${object.kind}/${namespace ?? ''}/${name}`;
}

export class ObjectWriter {
  readonly #client: KubeClient;
  readonly #lastApplied = new Map<string, string>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /**
   * Writes the status of one of our own kinds, only when it changed; returns whether it wrote.
   * Only the operator writes these statuses, and each pass computes the whole of it, so we send a
   * JSON patch that replaces /status and carry no resourceVersion. An update carrying the one we
   * read would fail with 409 Conflict whenever the cache is a moment behind our own last write,
   * which is the rule for a new object: its finalizer, then its first status, then events about
   * its env and its Deployments, all within a few milliseconds.
   */
  async writeStatus<S>(object: KubernetesObject & { status?: S }, status: S): Promise<boolean> {
    if (isDeepStrictEqual(status, object.status)) return false;
    await this.#client.patch(object, [{ op: 'add', path: '/status', value: status }], 'json', { subresource: 'status' });
    return true;
  }

  /**
   * Applies desired unless live already matches it. Returns what that changed, for the log:
   * 'created', 'updated', or nothing — an apply the server answers with the resourceVersion we
   * had cached changed nothing (the first pass after a restart applies everything once).
   */
  async write(desired: KubernetesObject, live: KubernetesObject | undefined): Promise<Change | undefined> {
    const key = objectKey(desired);
    const wanted = createHash('sha256').update(JSON.stringify(desired)).digest('base64');
    const before = this.#lastApplied.get(key);
    if (live && before === wanted && covers(live, desired)) return undefined;
    const stored = await apply(this.#client, desired, FIELD_MANAGER);
    this.#lastApplied.set(key, wanted);
    if (live) return stored.metadata?.resourceVersion === live.metadata?.resourceVersion ? undefined : 'updated';
    // Not cached: new, unless we wrote it a moment ago and the cache has not seen it yet.
    return before === undefined ? 'created' : before === wanted ? undefined : 'updated';
  }

  async delete(object: KubernetesObject): Promise<void> {
    this.#lastApplied.delete(objectKey(object));
    try {
      await this.#client.delete(object);
    } catch (error) {
      if (apiError(error).code !== 404) throw error; // already gone is what we wanted
    }
  }
}

/** One GET of any kind; undefined when the object (or its kind) does not exist. */
export async function readObject(client: KubeClient, apiVersion: string, kind: string, namespace: string, name: string): Promise<KubernetesObject | undefined> {
  try {
    return await client.read(apiVersion, kind, name, namespace);
  } catch (error) {
    if (apiError(error).code === 404) return undefined;
    throw error;
  }
}

/**
 * Whether live holds everything in desired. Lists must match item by item (order is part of the
 * spec); maps may hold more keys than we set. A value we set to an empty one (false, 0, "",
 * [] or {}) matches a field the server left out, since Kubernetes omits empty fields.
 */
export function covers(live: unknown, desired: unknown, path: string[] = []): boolean {
  if (desired === undefined || desired === null) return true;
  if (live === undefined || live === null) return isEmpty(desired);
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => covers(live[i], d, [...path, String(i)]));
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object') return false;
    const fields = live as Record<string, unknown>;
    return Object.entries(desired).every(([k, d]) => covers(fields[k], d, [...path, k]));
  }
  if (live === desired) return true;
  // The server stores quantities canonically ("1024Mi" comes back as "1Gi"): compare their values.
  const quantity = ['limits', 'requests'].includes(path.at(-2) ?? '') || path.at(-1) === 'storage';
  return quantity && sameQuantity(String(live), String(desired));
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && value !== null) return Object.values(value).every(isEmpty);
  return value === false || value === 0 || value === '';
}

const SUFFIXES: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** "1024Mi" and "1Gi", or "0.5" and "500m", name the same quantity. */
export function sameQuantity(a: string, b: string): boolean {
  const value = (q: string) => {
    const match = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([numkMGTPE]i?|)$/.exec(q);
    const factor = match ? SUFFIXES[match[2]] : undefined;
    return factor === undefined ? NaN : Number(match![1]) * factor;
  };
  const [x, y] = [value(a), value(b)];
  return !Number.isNaN(x) && Math.abs(x - y) <= Math.abs(x) * 1e-12;
}
