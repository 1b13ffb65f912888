// The PostgreSQL image for a real node, k8s-patterns/postgres:15, built without Docker or a base
// image from Debian's own PostgreSQL 15 packages (postgresql-15, postgresql-client-15 and the
// libpq5 psql links), fetched and unpacked, not installed (debian-packages.ts): their programs
// and modules, the glibc and the other libraries they link (from this machine), the share files,
// the time zones of tzdata, busybox for a shell, and our start script, postgres/start-postgres.sh. The kind image (postgres/Dockerfile) installs the same
// packages on debian:bookworm-slim and copies the same script, so the two behave alike.
//
// One image serves both lessons that run a server in a pod: lesson 11 writes its manifest for the
// official image's variables (POSTGRES_*), lesson 12's operator for sclorg's (POSTGRESQL_*), as
// Clowder does; the start script reads either.
import { open, lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { POSTGRES_IMAGE } from '../kind.ts';
import { unpackedPackages } from './debian-packages.ts';
import { type ImageConfig } from './oci-archive.ts';
import { imageFromRootfs, type RootfsEntry } from './rootfs.ts';
import { sharedLibraries, staticBusybox } from './workshop-image.ts';

/** Where Debian keeps one major version's programs; every other path follows from the packages. */
const BIN_DIR = '/usr/lib/postgresql/15/bin';
const LIB_DIR = '/usr/lib/postgresql/15/lib';
const PACKAGES = ['postgresql-15', 'postgresql-client-15', 'libpq5', 'tzdata'];
/** The start script, shared with the Dockerfile beside it. */
export const START_SCRIPT = join(import.meta.dirname, 'postgres', 'start-postgres.sh');

/**
 * What postgres/Dockerfile says too (postgres-image.test.ts compares them). 70:70 is the user of
 * the official image's alpine variant; Debian gives that number to nobody (sclorg's 26 is
 * Debian's `tape` group), so the kind image can use it as well.
 */
export const POSTGRES_CONFIG: ImageConfig = {
  User: '70:70',
  // The version's own directory before /usr/bin: psql, pg_isready and initdb by their names.
  Env: [`PATH=/usr/local/bin:${BIN_DIR}:/usr/bin:/bin`],
  Entrypoint: ['/usr/local/bin/start-postgres'],
  ExposedPorts: { '5432/tcp': {} },
  // SIGTERM asks postgres for a "smart" shutdown, which waits for every client to leave: the pod
  // would sit out its grace period. SIGINT is the "fast" one: sessions end, data is written.
  StopSignal: 'SIGINT',
};

/** The image's cache key (a digest of every file that goes in) and its build. */
export async function postgresImage(): Promise<{ key: string; build(archive: string): Promise<void> }> {
  return imageFromRootfs(await postgresRootfs(), POSTGRES_CONFIG, POSTGRES_IMAGE);
}

export async function postgresRootfs(): Promise<RootfsEntry[]> {
  const unpacked = await unpackedPackages(PACKAGES);
  const packaged = await packageEntries(unpacked);
  const busybox = await staticBusybox();
  const applets = (await $({ quiet: true })`${busybox} --list`).stdout.split('\n').filter((name) => name && name !== 'busybox');
  // Every ELF file (programs, and the modules postgres loads later, plpgsql.so first of all):
  // the libraries any of them links, each once. ldd runs for all of them at once.
  const elves = (await Promise.all(packaged.map(async (entry) => ('file' in entry && (await isElf(entry.file)) ? entry.file : undefined))))
    .filter((file): file is string => Boolean(file));
  const linked = (file: string) => sharedLibraries(file, unpacked).catch((error: Error) => {
    // Some modules (the encoding conversions, among others) use only the server's own symbols
    // and link no library at all; ldd calls them "statically linked". A program must link some.
    if (file.startsWith(`${unpacked}${LIB_DIR}/`) && /lists no libraries/.test(error.message)) return [];
    throw error;
  });
  const libraries = new Map<string, RootfsEntry>();
  for (const list of await Promise.all(elves.map(linked))) for (const entry of list) libraries.set(entry.path, entry);
  return [
    ...packaged,
    ...libraries.values(),
    { path: '/usr/local/bin/start-postgres', file: START_SCRIPT },
    { path: '/bin/busybox', file: busybox },
    ...applets.map((name) => ({ path: `/bin/${name}`, symlink: 'busybox' })),
    // initdb asks for the name of the user it runs as: uid 70 must have an entry.
    { path: '/etc/passwd', text: 'root:x:0:0:root:/root:/bin/sh\npostgres:x:70:70:PostgreSQL:/var/lib/postgresql:/bin/sh\n' },
    { path: '/etc/group', text: 'root:x:0:\npostgres:x:70:\n' },
    { path: '/etc/nsswitch.conf', text: 'passwd: files\ngroup: files\nhosts: files dns\n' },
    // Files in the image belong to root, so the places the server writes are open to every user,
    // sticky as /tmp is. A volume mounted there (the manifests mount emptyDirs) replaces them;
    // the start script puts the cluster in a subdirectory, which it owns. Both images' data paths.
    { path: '/tmp', dir: 0o1777 },
    { path: '/var/run/postgresql', dir: 0o1777 },
    { path: '/var/lib/postgresql/data', dir: 0o1777 },
    { path: '/var/lib/pgsql/data', dir: 0o1777 },
  ];
}

/**
 * The packages' files that a running server or its clients use, at the paths Debian installs them
 * (the programs find their share and module directories relative to their own path). Left out:
 * documentation, translations, man pages, the headers and makefiles for building extensions,
 * and the JIT (llvmjit.so links LLVM, 110 MB); `jit = off` says so in the server's settings.
 */
async function packageEntries(unpacked: string): Promise<RootfsEntry[]> {
  const wanted = (path: string) =>
    (path.startsWith('/usr/lib/postgresql/15/') || path.startsWith('/usr/share/postgresql/15/') || path.startsWith('/usr/share/zoneinfo/')) &&
    !/^\/usr\/share\/postgresql\/15\/man\/|^\/usr\/lib\/postgresql\/15\/lib\/(bitcode\/|pgxs\/|llvmjit)/.test(path) &&
    // The leap-second and "posix/" copies of every zone, and the link to the host's /etc/localtime.
    !/^\/usr\/share\/zoneinfo\/(right|posix)\/|^\/usr\/share\/zoneinfo\/localtime$/.test(path);
  const entries: RootfsEntry[] = [];
  for (const relative of await readdir(unpacked, { recursive: true })) {
    const path = `/${relative}`;
    if (!wanted(path)) continue;
    const file = `${unpacked}${path}`;
    const stats = await lstat(file);
    if (stats.isSymbolicLink()) entries.push({ path, symlink: await readlink(file) });
    else if (stats.isFile()) entries.push({ path, file });
    // Directories are made as their files are staged.
  }
  if (!entries.some((entry) => entry.path === `${BIN_DIR}/postgres`)) throw new Error(`${BIN_DIR}/postgres is not in ${PACKAGES.join(', ')}`);
  return entries;
}

async function isElf(path: string): Promise<boolean> {
  const file = await open(path);
  const magic = Buffer.alloc(4);
  await file.read(magic, 0, 4, 0).finally(() => file.close());
  return magic.equals(Buffer.from('\x7fELF', 'latin1'));
}
