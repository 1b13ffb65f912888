// The hook of `npm run operator`: TypeScript runs with its types stripped by a child process, so
// the process itself never loads Node's stripper; edits are picked up.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('runs a .ts file from its stripped source, without loading the stripper, and strips it anew when it changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pre-stripped-'));
  const cache = join(dir, 'cache');
  const program = join(dir, 'program.ts');
  const hook = join(import.meta.dirname, 'pre-stripped.mjs');
  const run = async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', hook, program], { env: { ...process.env, XDG_CACHE_HOME: cache } });
    return stdout.trim();
  };
  const source = (greeting: string) => `
    interface Greeting { text: string }
    const greeting: Greeting = { text: ${JSON.stringify(greeting)} };
    const stripper = process.moduleLoadList.some((m) => m.includes('amaro'));
    console.log(greeting.text, import.meta.filename, stripper ? 'stripper loaded' : 'no stripper');`;

  writeFileSync(program, source('hello'));
  expect(await run()).toBe(`hello ${program} no stripper`);
  expect(await run()).toBe(`hello ${program} no stripper`); // from the cache, which holds one file
  const stripped = join(cache, 'k8s-patterns-workshop', 'stripped');
  expect(readdirSync(stripped)).toHaveLength(1);

  writeFileSync(program, source('changed'));
  expect(await run()).toBe(`changed ${program} no stripper`);
  expect(readdirSync(stripped)).toHaveLength(2);
});
