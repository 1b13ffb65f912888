// Random names and credentials. node:crypto's randomInt draws without modulo bias, so every
// character is equally likely; generated values are stored and read back, never made again (§0).
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { randomInt } from 'node:crypto';

export const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(length: number, alphabet: string): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** The Secret that stores generated values, without labels, so that pruning never touches it (§12.3). */
export function generatedSecret(name: string, namespace: string, owner: V1OwnerReference[], values: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ownerReferences: owner },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
