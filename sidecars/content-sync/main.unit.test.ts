// content-sync as a real process, copying from a ConfigMap-like directory and from a URL.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, runToExit, startProgram, stopAllPrograms, stopProgram } from '../testing/run-program.ts';

afterEach(stopAllPrograms);

/**
 * Lays out files the way the kubelet mounts a ConfigMap, and updates them in its order: the data
 * sits in a hidden versioned directory, `..data` links to it, and each key is a link through
 * `..data`. An update writes a new directory, swaps `..data` in one rename, then adds the links of
 * new keys and removes those of deleted keys.
 */
async function writeConfigMap(dir: string, version: string, files: Record<string, string>) {
  const data = join(dir, `..${version}`);
  await mkdir(data);
  for (const [name, content] of Object.entries(files)) await writeFile(join(data, name), content);
  await symlink(`..${version}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) await symlink(join('..data', name), join(dir, name)).catch(() => undefined);
  for (const name of await readdir(dir)) if (!name.startsWith('.') && !(name in files)) await rm(join(dir, name));
}

async function listing(dir: string) {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')])));
}

describe('content-sync', () => {
  it('mirrors a mounted ConfigMap into the target: adds, updates and removes files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'content-sync-'));
    const source = join(dir, 'configmap');
    const target = join(dir, 'shared');
    await mkdir(source);
    await writeConfigMap(source, 'v1', { 'index.html': '<h1>v1</h1>', 'old.txt': 'goes away' });
    const sync = startProgram('content-sync', { SOURCE: source, TARGET_DIR: target, SYNC_INTERVAL_SECONDS: '0.1' });

    // Only the keys arrive, not the ConfigMap's hidden bookkeeping.
    await eventually(async () => ((await readdir(target)).length === 2 ? true : undefined), 'the first copy');
    expect(await listing(target)).toEqual({ 'index.html': '<h1>v1</h1>', 'old.txt': 'goes away' });

    await writeConfigMap(source, 'v2', { 'index.html': '<h1>v2</h1>', 'new.css': 'h1 {}' });
    const expected = { 'index.html': '<h1>v2</h1>', 'new.css': 'h1 {}' };
    // The target ends up holding exactly the source; every temporary file has been renamed into place.
    await eventually(async () => (JSON.stringify(await listing(target)) === JSON.stringify(expected) ? true : undefined), 'the update');
    // A sync may catch the ConfigMap between two steps of its update, so the changes can be spread
    // over more than one log line; together they name each file once.
    const logged = sync.logs.filter((l) => l.msg === 'content changed').slice(1);
    const all = (kind: string) => logged.flatMap((l) => l[kind] as string[]);
    expect({ added: all('added'), updated: all('updated'), removed: all('removed') }).toEqual({
      added: ['new.css'],
      updated: ['index.html'],
      removed: ['old.txt'],
    });
  });

  it('copies one file from a URL, and keeps it when the server answers with an error', async () => {
    let page: { status: number; body: string } = { status: 200, body: '<p>from the web</p>' };
    const server = createServer((req, res) => res.writeHead(req.url === '/site/page.html' ? page.status : 404).end(page.body));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/site/page.html`;
    try {
      const target = join(await mkdtemp(join(tmpdir(), 'content-sync-')), 'shared');
      const sync = startProgram('content-sync', { SOURCE: url, TARGET_DIR: target, SYNC_INTERVAL_SECONDS: '0.1' });
      await sync.waitForLog((l) => l.msg === 'content changed');
      expect(await listing(target)).toEqual({ 'page.html': '<p>from the web</p>' });

      page = { status: 500, body: 'Internal Server Error' };
      const warning = await sync.waitForLog((l) => l.msg === 'sync failed, keeping the current content');
      expect(warning.error).toBe(`GET ${url} answered 500 Internal Server Error`);
      expect(await listing(target)).toEqual({ 'page.html': '<p>from the web</p>' });
      expect(await stopProgram(sync)).toBe(0);
    } finally {
      server.close();
    }
  });

  it('refuses a SOURCE that is neither a directory nor an http(s) URL', async () => {
    const target = await mkdtemp(join(tmpdir(), 'content-sync-'));
    const missing = await runToExit('content-sync', { SOURCE: '/no/such/dir', TARGET_DIR: target });
    expect(missing.code).toBe(1);
    expect(missing.logs[0]!.msg).toBe('invalid configuration: SOURCE must be a directory or an http(s) URL; "/no/such/dir" is not a directory');
    const ftp = await runToExit('content-sync', { SOURCE: 'ftp://example.org/index.html', TARGET_DIR: target });
    expect(ftp.code).toBe(1);
    const noTarget = await runToExit('content-sync', { SOURCE: target });
    expect(noTarget.logs[0]!.msg).toBe('invalid configuration: TARGET_DIR is required but not set');
  });
});
