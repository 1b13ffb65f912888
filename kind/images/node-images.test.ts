// Builds the real node's images for real, in a cache of their own, then checks them the way
// containerd and the lessons will use them: every digest and size, every file a manifest's
// command needs (and what those files import), and the image's programs actually running.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { $ } from 'zx';
import { freePort } from '../real-node/programs.ts';
import { retry } from './retry.ts';
import { WORKSHOP_IMAGE } from '../kind.ts';
import { buildNodeImages, fullImageName, PAUSE_IMAGE, type NodeImage } from './index.ts';
import { ociArchitecture } from './oci-archive.ts';
import { WORKSHOP_CONFIG } from './workshop-image.ts';

const repo = join(import.meta.dirname, '..', '..');
const has = (command: string) => $.sync({ quiet: true, nothrow: true })`command -v ${command}`.exitCode === 0;
const canBuild = process.platform === 'linux' && ['go', 'gcc', 'tar', 'busybox', 'apt-get', 'dpkg-deb'].every(has);
const isRoot = process.getuid?.() === 0;
/** The host's chroot, by its full path: the commands run with the image's PATH, which lacks /usr/sbin. */
const chroot = $.sync({ quiet: true, nothrow: true })`command -v chroot`.stdout.trim();

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }
interface Unpacked { index: { manifests: Descriptor[] }; manifest: { config: Descriptor; layers: Descriptor[] }; config: { architecture: string; os: string; config: typeof WORKSHOP_CONFIG & { Entrypoint?: string[] }; rootfs: { diff_ids: string[] } }; layer: string; rootfs: string }

describe.skipIf(!canBuild)('buildNodeImages', () => {
  let work: string;
  let images: NodeImage[];
  let buildLog: string[];
  const unpacked: Record<string, Unpacked> = {};
  const savedCache = process.env.XDG_CACHE_HOME;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'node-images-test-'));
    process.env.XDG_CACHE_HOME = join(work, 'cache');
    buildLog = [];
    images = await buildNodeImages((line) => buildLog.push(line));
    for (const image of images) unpacked[image.name] = await unpack(image.archive, join(work, image.name.replace(/\W+/g, '-')));
  }, 300_000);
  afterAll(async () => {
    process.env.XDG_CACHE_HOME = savedCache;
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('names the images as containerd will store them, archives in the cache', () => {
    expect(images.map((image) => image.name)).toEqual(['registry.k8s.io/pause:3.10', 'docker.io/k8s-patterns/workshop:dev', 'docker.io/k8s-patterns/postgres:15']);
    for (const image of images) expect(image.archive.startsWith(join(work, 'cache', 'k8s-patterns-workshop', 'images'))).toBe(true);
  });

  it('writes valid OCI layouts: every digest and size matches its blob', async () => {
    for (const image of images) {
      const { index, manifest, config, layer } = unpacked[image.name];
      const [entry] = index.manifests;
      expect(index.manifests).toHaveLength(1);
      expect(entry.annotations).toEqual({ 'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': image.name.split(':').pop() });
      expect(entry).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: { architecture: ociArchitecture(), os: 'linux' } });
      expect(config).toMatchObject({ architecture: ociArchitecture(), os: 'linux' });
      expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
      // The diff_id is the digest of the layer as unpacked: containerd verifies it.
      expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256(gunzipSync(await readFile(layer)))}`]);
    }
  });

  it('reuses unchanged archives: the same files, not written again', async () => {
    const written = await Promise.all(images.map(async (image) => (await stat(image.archive)).mtimeMs));
    const again = await buildNodeImages((line) => buildLog.push(line));
    expect(again).toEqual(images);
    expect(buildLog.filter((line) => line.includes('unchanged'))).toHaveLength(images.length);
    expect(await Promise.all(images.map(async (image) => (await stat(image.archive)).mtimeMs))).toEqual(written);
  });

  describe('the pause image', () => {
    it('is the static pause binary of the pinned Kubernetes, run as an unprivileged user', async () => {
      const { config, rootfs } = unpacked[fullImageName(PAUSE_IMAGE)];
      expect(config.config).toEqual({ Entrypoint: ['/pause'], User: '65535:65535' });
      expect((await $({ quiet: true })`${join(rootfs, 'pause')} -v`).stdout).toMatch(/^pause\.c v3\.10-v1\.\d+\.\d+/);
      expect((await $({ quiet: true, nothrow: true })`ldd ${join(rootfs, 'pause')}`).exitCode).not.toBe(0); // not a dynamic executable
    });
  });

  describe('the workshop image', () => {
    const image = () => unpacked[fullImageName(WORKSHOP_IMAGE)];

    it('holds node, the libraries it links, busybox and its applets, root-owned and readable by all', async () => {
      const { config, layer, rootfs } = image();
      expect(config.config).toEqual(WORKSHOP_CONFIG);
      const listing = (await $({ quiet: true })`tar -tvzf ${layer} --numeric-owner`).stdout.trim().split('\n');
      const paths = new Map(listing.map((line) => {
        const [mode, owner, , , , name] = line.split(/\s+/);
        return [name.replace(/\/$/, ''), { mode, owner }];
      }));
      for (const path of ['usr/local/bin/node', 'lib64/ld-linux-x86-64.so.2', 'bin/busybox', 'bin/sh', 'bin/cat', 'bin/wget', 'bin/nc', 'etc/passwd', 'etc/group', 'app/package.json']) {
        expect(paths.has(path), path).toBe(true);
      }
      for (const line of (await $({ quiet: true })`ldd ${join(repo, 'node_modules', 'node', 'bin', 'node')}`).stdout.split('\n')) {
        const lib = /(\/\S+) \(0x/.exec(line)?.[1];
        if (lib) expect(paths.has(lib.slice(1)), lib).toBe(true);
      }
      expect(paths.get('tmp')?.mode).toBe('drwxrwxrwt');
      for (const [path, { mode, owner }] of paths) {
        expect(owner, path).toBe('0/0');
        if (!mode.startsWith('l')) expect(mode[7], `${path} ${mode}`).toBe('r');
      }
      expect(await readFile(join(rootfs, 'etc', 'passwd'), 'utf8')).toMatch(/^node:x:1000:1000:/m);
      expect((await stat(join(rootfs, 'usr', 'local', 'bin', 'node'))).size).toBe((await stat(join(repo, 'node_modules', 'node', 'bin', 'node'))).size);
    });

    it('holds every file a manifest runs with this image, and everything those files import', () => {
      const { rootfs } = image();
      const commands = workshopCommands();
      expect(commands.length).toBeGreaterThan(20);
      const checked = new Set<string>();
      for (const { source, argv } of commands) {
        const [program, ...args] = argv;
        const found = ['/usr/local/bin', '/usr/bin', '/bin'].some((dir) => existsSync(join(rootfs, dir, program)));
        expect(found, `${source}: ${program} is not on the image's PATH`).toBe(true);
        for (const arg of args.filter((a) => /^[\w./-]+\.(ts|js|json)$/.test(a))) {
          const path = posix.resolve(WORKSHOP_CONFIG.WorkingDir!, arg);
          expect(existsSync(join(rootfs, path)), `${source}: ${path}`).toBe(true);
          for (const problem of unresolvedImports(rootfs, path, checked)) expect.fail(`${source}: ${problem}`);
        }
      }
      // The in-cluster ConfigWatcher operator, and the default command.
      expect(checked).toContain('/app/operator/config-watcher/main.ts');
      expect(checked).toContain('/app/sidecars/sample-app/main.ts');
    });

    describe.skipIf(!isRoot || !chroot)('run in a chroot of the unpacked image, as user 1000', () => {
      const inImage = (script: string, env: Record<string, string> = {}) =>
        $({ quiet: true, env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env } })`${chroot} --userspec=1000:1000 ${image().rootfs} /bin/sh -c ${`cd /app && ${script}`}`;

      it('has a shell and the usual tools', async () => {
        expect((await inImage(`echo ok && cat /etc/group | grep -c node && id`)).stdout).toBe('ok\n1\nuid=1000(node) gid=1000(node) groups=1000(node)\n');
      });

      it('loads the Kubernetes client and both operators with every module they import', async () => {
        const script = `import('@kubernetes/client-node').then(async (k8s) => {
          await import('/app/operator/config-watcher/operator.ts');
          await import('/app/operator/clowder/operator.ts');
          console.log(typeof k8s.KubeConfig, process.version);
        })`;
        expect((await inImage(`node -e "${script}"`)).stdout).toBe(`function ${(await $({ quiet: true })`${join(repo, 'node_modules', 'node', 'bin', 'node')} --version`).stdout}`);
      });

      it('runs the default command, the sample app, which answers and stops on SIGTERM', async () => {
        const port = await freePort();
        const app = spawn(chroot, ['--userspec=1000:1000', image().rootfs, '/bin/sh', '-c', `cd /app && exec ${WORKSHOP_CONFIG.Cmd!.join(' ')}`], {
          env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOST: '127.0.0.1', PORT: String(port) },
          stdio: 'ignore',
        });
        const exited = new Promise<number | null>((resolve) => app.on('exit', resolve));
        try {
          const response = await retry(() => fetch(`http://127.0.0.1:${port}/healthz`));
          expect(response.status).toBe(200);
        } finally {
          app.kill('SIGTERM');
        }
        expect(await exited).toBe(0);
      });
    });

    // The real consumer: a private containerd (own socket, root and state) imports both archives
    // and runs a container from each, as the node's containerd will.
    describe.skipIf(!isRoot || !['containerd', 'ctr', 'runc'].every(has))('imported by containerd', () => {
      let dir: string;
      let containerd: ReturnType<typeof spawn> | undefined;
      const ctr = (...args: string[]) => $({ quiet: true })`ctr --address ${join(dir, 'containerd.sock')} -n k8s-patterns-test ${args}`;

      beforeAll(async () => {
        dir = join(work, 'containerd');
        await mkdir(dir);
        const config = join(dir, 'config.toml');
        await writeFile(config, [
          'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`,
          // No Kubernetes here: the CRI plugin would only look for CNI and a kubelet.
          'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
          '[grpc]', `  address = "${dir}/containerd.sock"`,
        ].join('\n'));
        containerd = spawn('containerd', ['--config', config], { stdio: 'ignore' });
        await retry(() => ctr('version'));
      });
      afterAll(async () => {
        if (!containerd?.pid) return;
        const exited = new Promise((resolve) => containerd!.on('exit', resolve));
        process.kill(containerd.pid, 'SIGTERM');
        await exited;
      });

      it('stores both images under their names and runs them', async () => {
        for (const image of images) await ctr('images', 'import', image.archive);
        expect((await ctr('images', 'ls', '-q')).stdout.split('\n')).toEqual(expect.arrayContaining(images.map((image) => image.name)));
        const id = `node-images-test-${process.pid}`;
        expect((await ctr('run', '--rm', fullImageName(WORKSHOP_IMAGE), `${id}-workshop`, 'sh', '-c', 'id -u && node -e "console.log(1 + 1)"')).stdout).toBe('1000\n2\n');
        expect((await ctr('run', '--rm', fullImageName(PAUSE_IMAGE), `${id}-pause`, '/pause', '-v')).stdout).toMatch(/^pause\.c v3\.10/);
      });
    });
  });
});

/** Extracts an archive, reads its layout and checks every blob against its descriptor. */
async function unpack(archive: string, dir: string): Promise<Unpacked> {
  const layout = join(dir, 'layout');
  const rootfs = join(dir, 'rootfs');
  await mkdir(layout, { recursive: true });
  await mkdir(rootfs);
  await $({ quiet: true })`tar -xf ${archive} -C ${layout}`;
  expect(JSON.parse(await readFile(join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
  const blob = async (descriptor: Descriptor): Promise<string> => {
    const path = join(layout, 'blobs', ...descriptor.digest.split(':'));
    const content = await readFile(path);
    expect(`sha256:${sha256(content)}`).toBe(descriptor.digest);
    expect(content.length).toBe(descriptor.size);
    return path;
  };
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(await blob(index.manifests[0]), 'utf8'));
  const config = JSON.parse(await readFile(await blob(manifest.config), 'utf8'));
  const layer = await blob(manifest.layers[0]);
  await $({ quiet: true })`tar -xzf ${layer} -C ${rootfs}`;
  return { index, manifest, config, layer, rootfs };
}

/**
 * The argv of every container, init container and ClowdApp deployment that runs the workshop
 * image in the lessons' and operators' manifests, as the kubelet computes it: `command`
 * replaces the image's Entrypoint and Cmd, `args` replaces only Cmd.
 */
function workshopCommands(): { source: string; argv: string[] }[] {
  const files = ['patterns', 'operator'].flatMap((top) => readdirSync(join(repo, top), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repo, top, entry.name, 'manifests')))
    .flatMap((entry) => readdirSync(join(repo, top, entry.name, 'manifests'))
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => join(top, entry.name, 'manifests', file))));
  const found: { source: string; argv: string[] }[] = [];
  const visit = (node: unknown, source: string): void => {
    if (Array.isArray(node)) return node.forEach((child) => visit(child, source));
    if (!node || typeof node !== 'object') return;
    const spec = node as { image?: unknown; command?: string[]; args?: string[] };
    if (spec.image === WORKSHOP_IMAGE || spec.image === fullImageName(WORKSHOP_IMAGE)) {
      const argv = spec.command ? [...spec.command, ...(spec.args ?? [])] : [...(spec.args ?? WORKSHOP_CONFIG.Cmd!)];
      found.push({ source, argv });
    }
    Object.values(node).forEach((child) => visit(child, source));
  };
  for (const file of files) {
    for (const document of loadAll(readFileSync(join(repo, file), 'utf8'))) visit(document, file);
  }
  return found;
}

/**
 * What a module (a path in the image) imports that the image lacks, following its relative
 * imports through the image. Bare names must be packages in /app/node_modules; type-only
 * imports are erased before Node runs the file, so they need nothing.
 */
function unresolvedImports(rootfs: string, module: string, checked: Set<string>): string[] {
  if (checked.has(module) || !module.endsWith('.ts')) return [];
  checked.add(module);
  const problems: string[] = [];
  const source = readFileSync(join(rootfs, module), 'utf8');
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  for (const specifier of specifiers) {
    if (specifier.startsWith('node:')) continue;
    if (specifier.startsWith('.')) {
      const target = posix.resolve(dirname(module), specifier);
      if (!existsSync(join(rootfs, target))) problems.push(`${module} imports ${specifier}, which the image lacks`);
      else problems.push(...unresolvedImports(rootfs, target, checked));
    } else {
      const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
      if (!existsSync(join(rootfs, 'app', 'node_modules', name, 'package.json'))) problems.push(`${module} imports ${specifier}, not in /app/node_modules`);
    }
  }
  return problems;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
