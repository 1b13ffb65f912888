// The images a real node needs, as OCI archives in the kit's cache, ready for
// `ctr -n k8s.io images import`. An archive is named after a digest of everything that goes into
// it, so an unchanged image is reused at once and a changed one can never be mistaken for it.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { POSTGRES_IMAGE, WORKSHOP_IMAGE } from '../kind.ts';
import type { NodeBinaries } from '../binaries.ts';
import { cacheDir } from '../workshop.ts';
import { MINIO_IMAGE, minioImage } from './minio-image.ts';
import { fullImageName } from './oci-archive.ts';
import { PAUSE_IMAGE, pauseImage } from './pause-image.ts';
import { postgresImage } from './postgres-image.ts';
import { workshopImage } from './workshop-image.ts';

type Log = (line: string) => void;

export interface NodeImage {
  /** The name containerd stores the image under once imported (fully qualified). */
  name: string;
  archive: string;
}

const RECIPES = [
  { name: PAUSE_IMAGE, prepare: pauseImage },
  { name: WORKSHOP_IMAGE, prepare: workshopImage },
  { name: POSTGRES_IMAGE, prepare: postgresImage },
];

/**
 * Builds what is missing, reuses the rest; the archives live in <cache>/images/. The images of
 * programs the kit builds from Go modules (MinIO) come only with the binaries to put in them.
 */
export async function buildNodeImages(log: Log = console.error, binaries?: Pick<NodeBinaries, 'minio'>): Promise<NodeImage[]> {
  const dir = join(cacheDir(), 'images');
  await mkdir(dir, { recursive: true });
  // The code that builds an image is one of its inputs too.
  const builders = await buildersDigest();
  const images: NodeImage[] = [];
  const recipes = binaries ? [...RECIPES, { name: MINIO_IMAGE, prepare: () => minioImage(binaries.minio) }] : RECIPES;
  for (const { name, prepare } of recipes) {
    const started = Date.now();
    const { key, build } = await prepare();
    const prefix = `${name.replace(/[^\w.]+/g, '-')}-`;
    const archive = join(dir, `${prefix}${sha256(`${builders}\n${key}`).slice(0, 16)}.tar`);
    if (existsSync(archive)) {
      log(`image ${name}: unchanged, ${archive}`);
    } else {
      log(`image ${name}: building ${archive}`);
      // Written under another name and renamed when complete: an archive that exists is whole,
      // even if a build was interrupted or another build runs at the same time.
      const partial = `${archive}.partial-${process.pid}`;
      try {
        await build(partial);
        await rename(partial, archive);
      } finally {
        await rm(partial, { force: true });
      }
      // Older builds of this image are of no more use; without this the cache grows with every edit.
      for (const file of await readdir(dir)) {
        if (file.startsWith(prefix) && /^[0-9a-f]{16}\.tar$/.test(file.slice(prefix.length)) && join(dir, file) !== archive) {
          await rm(join(dir, file), { force: true });
        }
      }
      const mib = (await stat(archive)).size / 2 ** 20;
      log(`image ${name}: built in ${((Date.now() - started) / 1000).toFixed(1)} s, ${mib.toFixed(1)} MiB`);
    }
    images.push({ name: fullImageName(name), archive });
  }
  return images;
}

async function buildersDigest(): Promise<string> {
  const files = (await readdir(import.meta.dirname)).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts')).sort();
  const contents = await Promise.all(files.map((file) => readFile(join(import.meta.dirname, file), 'utf8')));
  return sha256(files.map((file, i) => `${file}\n${contents[i]}`).join('\n'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
