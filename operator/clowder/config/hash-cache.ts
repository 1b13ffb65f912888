// hashCache (§7): a value inside cdappconfig.json that changes whenever a Secret or ConfigMap the
// app depends on changes. The config's bytes then change, so its SHA-256 (the configHash pod
// annotation) changes, so the Deployments roll and the pods pick up the new data. Apps never read
// it; it exists to turn "a referenced object changed" into "the pod template changed".
//
// It is two super-hashes side by side, <appHalf><envHalf>: one over the objects the app's own
// Deployments reference (opted in with the qontract.recycle annotation), one over objects the
// environment's providers use for this app (a credentials Secret, say).
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

export interface Tracked {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  namespace: string;
  /** Secret data stays base64, exactly as the API returns it; ConfigMap data is plain text. */
  data?: Record<string, string>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash of one object's data; an empty or missing map hashes as `null`, as Go writes a nil map. */
export function objectHash(data: Record<string, string> | undefined): string {
  return sha256(data && Object.keys(data).length ? canonicalJson(data) : 'null');
}

/**
 * The hash over a set of objects, in a fixed order so the same set always gives the same value.
 * The order key is "<name>/<namespace>/", compared bytewise; a ConfigMap goes before a Secret of
 * the same name (Clowder leaves that tie unspecified). The empty set hashes the empty string.
 */
export function superHash(objects: readonly Tracked[]): string {
  const key = (o: Tracked) => Buffer.from(`${o.name}/${o.namespace}/`);
  const sorted = [...objects].sort((a, b) => Buffer.compare(key(a), key(b)) || (a.kind === 'ConfigMap' ? -1 : 1) - (b.kind === 'ConfigMap' ? -1 : 1));
  return sha256(sorted.map((o) => objectHash(o.data)).join(''));
}

export function hashCache(appHalf: readonly Tracked[], envHalf: readonly Tracked[]): string {
  return superHash(appHalf) + superHash(envHalf);
}
