// §6.2: the exact bytes of cdappconfig.json, as Go's encoding/json writes them.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';

describe('canonicalJson (§6.2)', () => {
  it.each([
    ['sorts keys bytewise, uppercase first, recursively', { b: 1, BOPURL: 'x', a: { z: 1, y: [{ d: 1, c: 2 }] } }, '{"BOPURL":"x","a":{"y":[{"c":2,"d":1}],"z":1},"b":1}'],
    ['escapes < > & like Go', { s: '<a href="x">&</a>' }, '{"s":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"}'],
    ['escapes U+2028 and U+2029', { s: 'a\u2028b\u2029' }, '{"s":"a\\u2028b\\u2029"}'],
    ['keeps other non-ASCII raw', { s: 'grüße ✓' }, '{"s":"grüße ✓"}'],
    ['leaves out undefined keys', { a: undefined, b: 0, c: false, d: '' }, '{"b":0,"c":false,"d":""}'],
    ['writes an empty map and list', { m: {}, l: [] }, '{"l":[],"m":{}}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('refuses fractions: every number in the config is an integer', () => {
    expect(() => canonicalJson({ port: 1.5 })).toThrow(/integers/);
  });
});
