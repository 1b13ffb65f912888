// Every `§` the operator's code cites names a heading of SPEC.md, so a reader can follow it from the
// code to the promise. It reads files only and needs no cluster:
//   npx vitest run --config vitest.unit.config.ts
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/** Where the spec is cited: the operator itself and the lesson that teaches it. */
const CITING = ['operator/clowder', 'patterns/12-clowdapp'];
const CITATION = /§\d+(?:\.\d+)?/g;

const spec = await readFile(join(import.meta.dirname, 'SPEC.md'), 'utf8');
const headings = [...spec.matchAll(/^#{2,3} (§\d+(?:\.\d+)?) /gm)].map((m) => m[1]);

/** Every citation as `<file>:<line> <§>`, SPEC.md's own cross-references included. */
async function citations(): Promise<{ where: string; section: string }[]> {
  const found: { where: string; section: string }[] = [];
  for (const folder of CITING) {
    const files = (await readdir(join(root, folder), { recursive: true })).filter((f) => /\.(ts|md|yaml)$/.test(f));
    for (const file of files) {
      const lines = (await readFile(join(root, folder, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [section] of line.matchAll(CITATION)) found.push({ where: `${folder}/${file}:${i + 1}`, section });
      });
    }
  }
  return found;
}

describe('SPEC.md', () => {
  it('has a heading for every section the code cites', async () => {
    const all = await citations();
    expect(all.length).toBeGreaterThan(100); // the pattern still finds the citations at all
    const unresolved = all.filter((c) => !headings.includes(c.section)).map((c) => `${c.where} ${c.section}`);
    expect(unresolved).toEqual([]);
  });

  it('numbers each heading once', () => {
    expect(headings.filter((h, i) => headings.indexOf(h) !== i)).toEqual([]);
  });
});
