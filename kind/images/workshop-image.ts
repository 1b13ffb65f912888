// The workshop image for a real node, built without Docker or a base image: the same Node
// binary the kit's scripts run, the glibc libraries it links, busybox for the shell the lessons
// `kubectl exec` into, and /app as image-content.ts defines it (the kind image,
// sidecars/Dockerfile, holds the same /app).
import { open, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { appFiles } from './image-content.ts';
import { WORKSHOP_IMAGE } from '../kind.ts';
import { type ImageConfig } from './oci-archive.ts';
import { imageFromRootfs, type RootfsEntry } from './rootfs.ts';

const root = join(import.meta.dirname, '..', '..');

/** What sidecars/Dockerfile says too (image-content.unit.test.ts compares them). */
export const WORKSHOP_CONFIG: ImageConfig = {
  // Numeric, so the kubelet can verify runAsNonRoot (the lessons' namespaces enforce the
  // restricted Pod Security Standard). 1000 is the image's "node" user, as in Node's images.
  User: '1000:1000',
  WorkingDir: '/app',
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
  Cmd: ['node', 'sidecars/sample-app/main.ts'],
  ExposedPorts: { '8080/tcp': {} },
};

/** The image's cache key (a digest of every file that goes in) and its build. */
export async function workshopImage(): Promise<{ key: string; build(archive: string): Promise<void> }> {
  return imageFromRootfs(await workshopRootfs(), WORKSHOP_CONFIG, WORKSHOP_IMAGE);
}

export async function workshopRootfs(): Promise<RootfsEntry[]> {
  const node = await nodeBinary();
  const busybox = await staticBusybox();
  const applets = (await $({ quiet: true })`${busybox} --list`).stdout.split('\n').filter((name) => name && name !== 'busybox');
  return [
    { path: '/usr/local/bin/node', file: node },
    ...(await sharedLibraries(node)),
    { path: '/bin/busybox', file: busybox },
    // Every applet, as `busybox --install -s` would: sh, cat, ls, env, wget, nc, …
    ...applets.map((name) => ({ path: `/bin/${name}`, symlink: 'busybox' })),
    { path: '/etc/passwd', text: 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/app:/bin/sh\n' },
    { path: '/etc/group', text: 'root:x:0:\nnode:x:1000:\n' },
    // Without this file glibc asks DNS first and stops at its "no such name", so a pod's own
    // name, which the kubelet writes into /etc/hosts, would not resolve.
    { path: '/etc/nsswitch.conf', text: 'passwd: files\ngroup: files\nhosts: files dns\n' },
    { path: '/tmp', dir: 0o1777 },
    ...(await appFiles(root)).map((file) => ({ path: `/app/${file}`, file: join(root, file) })),
  ];
}

/** The Node the kit pins (package.json's `node` package): a real ELF binary, not a launcher script. */
async function nodeBinary(): Promise<string> {
  const path = await realpath(join(root, 'node_modules', 'node', 'bin', 'node'));
  const file = await open(path);
  const magic = Buffer.alloc(4);
  await file.read(magic, 0, 4, 0).finally(() => file.close());
  if (!magic.equals(Buffer.from('\x7fELF', 'latin1'))) throw new Error(`${path} is not a Linux binary; run npm ci on Linux`);
  return path;
}

/**
 * The libraries the dynamic loader will look for, at the paths it finds them here (ldd asks
 * the loader itself), plus the loader at the path the binary names. The image is a copy of this
 * machine's glibc, so it runs whatever ran here. `unpacked` is a folder of Debian packages
 * unpacked as if at `/` (debian-packages.ts): its libraries come first, and go into the image at
 * the paths they have inside that folder.
 */
export async function sharedLibraries(binary: string, unpacked?: string): Promise<RootfsEntry[]> {
  const env = unpacked ? { ...process.env, LD_LIBRARY_PATH: await libraryDirs(unpacked) } : process.env;
  const entries: RootfsEntry[] = [];
  for (const line of (await $({ quiet: true, env })`ldd ${binary}`).stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)";
    // linux-vdso has no file: the kernel maps it into every process.
    if (line.includes('not found')) throw new Error(`${binary} needs a library this machine lacks: ${line.trim()}`);
    const path = /(\/\S+) \(0x/.exec(line)?.[1];
    if (!path) continue;
    const inImage = unpacked && path.startsWith(`${unpacked}/`) ? path.slice(unpacked.length) : path;
    entries.push({ path: inImage, file: await realpath(path) });
  }
  if (!entries.length) throw new Error(`ldd lists no libraries for ${binary}`);
  return entries;
}

/** The multiarch library folders of unpacked packages (usr/lib/x86_64-linux-gnu, …), for the loader. */
async function libraryDirs(unpacked: string): Promise<string> {
  const dirs: string[] = [];
  for (const lib of ['lib', 'usr/lib']) {
    const names = await readdir(join(unpacked, lib)).catch(() => []);
    for (const name of names) if (name.endsWith('-linux-gnu')) dirs.push(join(unpacked, lib, name));
  }
  return dirs.join(':');
}

/** busybox-static's binary: one file that needs no library. */
export async function staticBusybox(): Promise<string> {
  const found = await $({ quiet: true, nothrow: true })`command -v busybox`;
  const busybox = found.stdout.trim();
  // ldd fails on a static binary ("not a dynamic executable").
  if (!busybox || (await $({ quiet: true, nothrow: true })`ldd ${busybox}`).exitCode === 0) {
    throw new Error('the workshop image needs a static busybox: apt-get install busybox-static');
  }
  return realpath(busybox);
}
