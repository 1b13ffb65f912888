// The psql stand-in against a real server: what the lessons type, and the first error stopping it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { psql } from './psql.ts';
import { adminUrl, down, up } from './server.ts';

const dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-pg-psql-'));
afterAll(() => down(dir));

it('runs each -c as one request, prints rows as a table and \\l, and stops at the first error', async () => {
  const url = adminUrl(await up(dir));
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void printed.push(line));

  expect(await psql(url, ['-v', 'ON_ERROR_STOP=1', '-c', 'create role shop; select 1 as one', '-c', '\\l'])).toBe(0);
  expect(printed.join('\n')).toMatch(/^CREATE\n one\n-----\n 1\n\(1 row\)\n\n[\s\S]* postgres +\| workshop +\| UTF8\n/);

  printed.length = 0;
  expect(await psql(url, ['-c', 'select nope', '-c', 'drop role shop'])).toBe(1);
  expect(printed).toEqual(['ERROR:  column "nope" does not exist']); // the drop never ran
  vi.restoreAllMocks();
});
