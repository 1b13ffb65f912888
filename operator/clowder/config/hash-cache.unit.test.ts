// The worked examples of the spec (§7.1), checked to the byte.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashCache, objectHash, superHash, type Tracked } from './hash-cache.ts';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const secret: Tracked = { kind: 'Secret', name: 'shop-creds', namespace: 'shop-dev', data: { token: 'czNjcmV0' } };
const configMap: Tracked = { kind: 'ConfigMap', name: 'app-settings', namespace: 'shop-dev', data: { LOG_LEVEL: 'debug', FEATURE_X: 'on' } };

describe('hashCache (§7.1)', () => {
  it.each([
    ['nothing tracked', [], EMPTY],
    ['one Secret', [secret], 'd557f93585e4345295a8414522ec4826af3c3eb9a91b1f6d46a4ca06d0a168ac'],
    ['a ConfigMap and a Secret, in either order', [secret, configMap], 'c7eb0ee0386a846d3cce8253c29bb7bdbe508dc1c8a894680d05e70a15fee75b'],
    ['the same set listed the other way round', [configMap, secret], 'c7eb0ee0386a846d3cce8253c29bb7bdbe508dc1c8a894680d05e70a15fee75b'],
  ] as const)('super-hash of %s', (_name, set, expected) => {
    expect(superHash(set)).toBe(expected);
  });

  it('hashes object data as sorted compact JSON, and empty data as null', () => {
    expect(objectHash(secret.data)).toBe('9a4aa99001a8599b02d8480b225912d6d331a2fc1793c34a2d91faf18c4a714a');
    expect(objectHash(configMap.data)).toBe('d3b242c2bc20077e2849720a4e6e3c6dc704d6c4ada2578ff4a2837fa345f69f');
    expect(objectHash(undefined)).toBe(objectHash({}));
  });

  it('orders by "<name>/<namespace>/", so "a-b" sorts before "a"', () => {
    const a: Tracked = { kind: 'Secret', name: 'a', namespace: 'n', data: { k: 'MQ==' } };
    const ab: Tracked = { kind: 'Secret', name: 'a-b', namespace: 'n', data: { k: 'Mg==' } };
    expect(superHash([a, ab])).toBe(superHash([ab, a]));
    expect(superHash([a, ab])).toBe(createHash('sha256').update(objectHash(ab.data) + objectHash(a.data)).digest('hex'));
  });

  it('is the app half followed by the env half: 128 hex characters', () => {
    expect(hashCache([], [])).toBe(EMPTY + EMPTY);
    expect(hashCache([secret], [])).toHaveLength(128);
  });
});
