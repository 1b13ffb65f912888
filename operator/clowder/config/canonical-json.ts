// The one way cdappconfig.json is written (§6.2). Clowder is a Go program: it writes JSON with
// Go's encoding/json, which sorts map keys and escapes a few characters that JavaScript leaves
// alone. Apps and tests compare the bytes (the configHash annotation is the SHA-256 of them), so
// we reproduce that form exactly:
// - no whitespace, and the keys of every object sorted by their UTF-8 bytes, recursively;
// - `<`, `>` and `&` escaped as \u003c, \u003e, \u0026 (Go does it so JSON can sit inside HTML),
//   and U+2028/U+2029 as \u2028/\u2029 (they end lines in JavaScript source);
// - absent keys left out: a key whose value is undefined is not written at all.

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${entries.map(([k, v]) => `${goString(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) throw new Error(`cdappconfig.json holds integers only, not ${value}`);
  return JSON.stringify(value);
}

const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}
