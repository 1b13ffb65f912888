// Random and mutated specs for the fuzz test of the kit's CRDs (crd-fuzz.test.ts). Everything
// comes from one seeded generator, so a seed names a run: the same seed gives the same objects,
// in the same order, on any machine.
//
// Two ways to make a spec:
// - fromSchema walks the CRD's own openAPIV3Schema: right types mostly, enums picked from, and
//   now and then a wrong type, a missing required field or a string no pattern allows.
// - mutate starts from a spec that works and changes it in one or two places: a field deleted,
//   a value of the wrong type, a list element twice, an empty or very long string, a stray field.
//   These reach deep, because everything around the broken place is still valid.

/** The parts of an OpenAPI v3 schema the generator reads. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings that have broken parsers, patterns, SQL and URLs before. */
const ODD_STRINGS = [
  '', ' ', 'True', '0', '-1', 'null', 'a b', 'UPPER', 'x"; drop database postgres; --', "o'brien", '../../etc', 'a/b', 'a?b#c%d',
  'é', '🙂', '\u0000', 'a'.repeat(300), '-leading', 'trailing-', 'api', 'web', 'default', '/api/x/', '2026-01-01T00:00:00Z',
];

export class Fuzz {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed;
    this.#state = seed >>> 0;
  }

  /** mulberry32: small, fast, and good enough to pick test cases; 0 <= result < 1. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Half of the time a name-like string (which passes most patterns), else an odd one. */
  string(): string {
    if (this.chance(0.5)) return this.pick(ODD_STRINGS);
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789-_';
    let s = this.pick([...'abcdefghijklmnopqrstuvwxyz']);
    for (let i = this.int(12); i > 0; i--) s += this.pick([...letters]);
    return s;
  }

  number(): number {
    return this.pick([0, 1, -1, 2, 8000, 65536, 2 ** 31, -(2 ** 31) - 1, 1e15, 0.5, this.int(100)]);
  }

  /** Any JSON value at all. */
  junk(depth = 2): Json {
    const kinds = depth > 0 ? 6 : 4;
    switch (this.int(kinds)) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.number();
      case 3: return this.string();
      case 4: return Array.from({ length: this.int(3) }, () => this.junk(depth - 1));
      default: return Object.fromEntries(Array.from({ length: this.int(3) }, () => [this.string(), this.junk(depth - 1)]));
    }
  }

  /** A value for the schema: usually of the right shape, sometimes not (2% per value). */
  fromSchema(schema: Schema, depth = 0): Json {
    if (this.chance(0.02)) return this.junk(1);
    if (schema.enum && this.chance(0.9)) return schema.enum[this.int(schema.enum.length)] as Json;
    switch (schema.type) {
      case 'object': {
        if (!schema.properties) {
          if (schema['x-kubernetes-preserve-unknown-fields'] || depth > 6) return this.junk(1) ?? {};
          const values = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : { type: 'string' };
          return Object.fromEntries(Array.from({ length: this.int(3) }, () => [this.string(), this.fromSchema(values, depth + 1)]));
        }
        const out: { [key: string]: Json } = {};
        for (const [key, property] of Object.entries(schema.properties)) {
          const required = schema.required?.includes(key);
          if (this.chance(required ? 0.95 : depth > 4 ? 0.1 : 0.4)) out[key] = this.fromSchema(property, depth + 1);
        }
        return out;
      }
      case 'array':
        return Array.from({ length: this.int(4) }, () => this.fromSchema(schema.items ?? {}, depth + 1));
      case 'string':
        return schema.format === 'date-time' && this.chance(0.7) ? new Date(this.int(2 ** 31) * 1000).toISOString() : this.string();
      case 'integer':
        return this.number();
      case 'boolean':
        return this.chance(0.5);
      default:
        return this.junk(1);
    }
  }

  /** A copy of value, changed in one or two places: often broken, sometimes only odd. */
  mutate<T extends Json>(value: T): T {
    const copy = structuredClone(value);
    for (let times = 1 + this.int(2); times > 0; times--) this.#mutateOnce(copy);
    return copy;
  }

  #mutateOnce(root: Json): void {
    // Every place that holds a value: [container, key] pairs, found by walking the tree.
    const places: [{ [key: string]: Json } | Json[], string | number][] = [];
    const walk = (node: Json) => {
      if (Array.isArray(node)) node.forEach((child, i) => (places.push([node, i]), walk(child)));
      else if (node && typeof node === 'object') for (const [key, child] of Object.entries(node)) places.push([node, key]), walk(child);
    };
    walk(root);
    if (!places.length) return;
    const [container, key] = this.pick(places);
    const get = () => (container as Record<string | number, Json>)[key];
    const set = (v: Json) => ((container as Record<string | number, Json>)[key] = v);
    switch (this.int(8)) {
      case 0: // gone
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key as string];
        break;
      case 1: set(this.junk(2)); break;
      case 2: set(typeof get() === 'string' ? this.number() : this.string()); break; // the wrong type
      case 3: set(this.pick([null, '', {}, [], 0, false])); break;
      case 4: // twice in a list
        if (Array.isArray(container)) container.push(structuredClone(get()));
        else set([get(), get()]);
        break;
      case 5: if (typeof get() === 'string') set(this.pick(ODD_STRINGS)); else set(this.string()); break;
      case 6: if (get() && typeof get() === 'object' && !Array.isArray(get())) (get() as Record<string, Json>)[this.string()] = this.junk(1); break;
      default: set(this.number());
    }
  }
}
