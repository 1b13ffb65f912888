import { copyFile, mkdtemp, open, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBinary, MISSING } from './binaries.ts';

describe('checkBinary', () => {
  it('accepts a working executable', async () => {
    expect(await checkBinary(process.execPath)).toBeUndefined();
  });

  it('reports a missing file', async () => {
    expect(await checkBinary(join(tmpdir(), 'no-such-binary'))).toBe(MISSING);
  });

  it('reports a binary cut short, as an interrupted download leaves it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broken-bin-'));
    const cut = join(dir, 'kube-apiserver');
    await copyFile(process.execPath, cut);
    const file = await open(cut, 'r+');
    await file.truncate(64 * 1024);
    await file.close();
    expect(await checkBinary(cut)).toMatch(/^does not run/);
  });

  it('asks each program the way it understands: traefik a subcommand, the MetalLB controller for its flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'version-args-'));
    for (const [name, args] of [['traefik', 'version'], ['metallb-controller', '--help'], ['kubelet', '--version']]) {
      const path = join(dir, name);
      // Exits 0 only when called with exactly the expected arguments.
      await writeFile(path, `#!/bin/sh\n[ "$*" = "${args}" ]\n`);
      await chmod(path, 0o755);
      expect(await checkBinary(path), name).toBeUndefined();
    }
  });

  it('reports a file that is not a program at all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broken-bin-'));
    const junk = join(dir, 'etcd');
    await writeFile(junk, '<html>404 Not Found</html>');
    await chmod(junk, 0o755);
    expect(await checkBinary(junk)).toMatch(/^does not run/);
  });
});
