import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fullImageName, writeOciArchive } from './oci-archive.ts';

describe('fullImageName', () => {
  it('expands names the way Docker and containerd do', () => {
    expect(fullImageName('k8s-patterns/workshop:dev')).toBe('docker.io/k8s-patterns/workshop:dev');
    expect(fullImageName('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(fullImageName('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10');
    expect(fullImageName('localhost/app:1')).toBe('localhost/app:1');
    expect(fullImageName('localhost:5000/app:1')).toBe('localhost:5000/app:1');
  });
});

describe.skipIf(process.platform !== 'linux')('writeOciArchive', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('writes the same bytes for the same rootfs, whenever and wherever it is staged', async () => {
    const digests: string[] = [];
    for (const delay of [0, 1100]) {
      // A second later, so file times differ; the archive must not record them.
      await new Promise((resolve) => setTimeout(resolve, delay));
      const dir = await mkdtemp(join(tmpdir(), 'oci-archive-test-'));
      dirs.push(dir);
      await mkdir(join(dir, 'rootfs'));
      await writeFile(join(dir, 'rootfs', 'hello'), 'hello\n');
      const archive = join(dir, 'image.tar');
      await writeOciArchive({ rootfs: join(dir, 'rootfs'), config: { Cmd: ['/hello'] }, name: 'example.com/hello:1', archive });
      digests.push(createHash('sha256').update(await readFile(archive)).digest('hex'));
    }
    expect(digests[1]).toBe(digests[0]);
  });

  it('refuses a name without a tag, which containerd could not list', async () => {
    await expect(writeOciArchive({ rootfs: tmpdir(), config: {}, name: 'localhost:5000/app', archive: join(tmpdir(), 'x.tar') })).rejects.toThrow(/needs a tag/);
  });
});
