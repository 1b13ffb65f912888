// Debian packages for an image, fetched and unpacked into the kit's cache without installing them
// on this machine: `apt-get download` takes the version apt would install, `dpkg-deb -x` unpacks
// each file into a folder of its own. So the real node's PostgreSQL image needs no PostgreSQL
// server here, as a Dockerfile's `apt-get install` needs none on the machine that builds it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { cacheDir } from '../workshop.ts';

/**
 * The folder the packages are unpacked into, as if it were `/`. Fetched once: a later build reads
 * the cache and asks apt nothing (`rm -rf ~/.cache/k8s-patterns-workshop/debian` fetches anew).
 */
export async function unpackedPackages(packages: string[]): Promise<string> {
  const dir = join(cacheDir(), 'debian', packages.join('+'));
  const root = join(dir, 'root');
  if (existsSync(join(dir, 'packages.txt'))) return root;
  await mkdir(join(cacheDir(), 'debian'), { recursive: true });
  // Built beside its place and renamed into it, so an interrupted fetch leaves nothing half-made.
  const work = await mkdtemp(`${dir}.partial-`);
  try {
    const fetched = await $({ quiet: true, nothrow: true, cwd: work })`apt-get download ${packages}`;
    if (fetched.exitCode !== 0) {
      const why = fetched.stderr.trim().split('\n').pop();
      throw new Error(`apt-get download ${packages.join(' ')} failed (${why}); on a new machine run apt-get update first`);
    }
    const debs = (await readdir(work)).filter((name) => name.endsWith('.deb')).sort();
    for (const deb of debs) await $({ quiet: true })`dpkg-deb -x ${join(work, deb)} ${join(work, 'root')}`;
    for (const deb of debs) await rm(join(work, deb));
    await writeFile(join(work, 'packages.txt'), `${debs.join('\n')}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return root;
}
