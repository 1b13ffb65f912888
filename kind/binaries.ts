// Finds the executables for the local control plane. Tried in this order, per binary:
//   1. a folder named by the user: WORKSHOP_K8S_BIN_DIR (all of them) or KUBEBUILDER_ASSETS
//      (kube-apiserver and etcd, the envtest convention);
//   2. our per-version cache (~/.cache/k8s-patterns-workshop/bin/<version>);
//   3. the official release downloads (needs internet access);
//   4. a build from source through the Go module proxy, when `go` is on PATH.
// Whatever 3 and 4 produce lands in the cache, so only the first `up` on a machine is slow.
import { execFile, spawn } from 'node:child_process';
import { access, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { arch, platform } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, COREDNS_VERSION, ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION, LOCAL_PATH_PROVISIONER_VERSION, METALLB_VERSION, MINIO_VERSION, TRAEFIK_VERSION } from './workshop.ts';

const run = promisify(execFile);

export const COMPONENTS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'etcd',
  'kwok',
  'kwokctl',
  'kubectl',
] as const;
/**
 * What a real node beside the control plane adds (`up --local --real-node`), Linux only: its
 * kubelet, kube-proxy and cluster DNS, Traefik as its Ingress controller, MetalLB's controller
 * as its LoadBalancer implementation, local-path-provisioner for its volumes, and MinIO for the
 * image that Clowder's object store runs.
 */
export const NODE_COMPONENTS = ['kubelet', 'kube-proxy', 'coredns', 'traefik', 'metallb-controller', 'local-path-provisioner', 'minio'] as const;
export type Component = (typeof COMPONENTS)[number] | (typeof NODE_COMPONENTS)[number];
export type Binaries = Record<(typeof COMPONENTS)[number], string>;
export type NodeBinaries = Binaries & Record<(typeof NODE_COMPONENTS)[number], string>;

export function binaryCacheDir(): string {
  return join(cacheDir(), 'bin', KUBERNETES_VERSION);
}

/**
 * How each program is asked to start and exit at once; the others take --version. kubectl has
 * no such flag, CoreDNS spells it with one dash, Traefik has a subcommand, and MetalLB's
 * controller prints no version at all, but exits 0 after listing its flags.
 */
const VERSION_ARGS: Record<string, string[]> = {
  kubectl: ['version', '--client'],
  coredns: ['-version'],
  traefik: ['version'],
  'metallb-controller': ['--help'],
};

/**
 * Checks that a file is an executable that starts: a download cut short or a half-written copy
 * fails here with a reason, instead of hanging the control plane later.
 * Returns undefined when the binary is fine, otherwise what is wrong with it.
 */
export const MISSING = 'missing or not executable';
export async function checkBinary(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.X_OK);
  } catch {
    return MISSING;
  }
  try {
    await run(path, VERSION_ARGS[basename(path)] ?? ['--version'], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    const e = error as { code?: string | number; signal?: string; stderr?: string };
    const why = e.signal ?? e.code ?? 'failed';
    return `does not run (${why}${e.stderr ? `: ${e.stderr.trim().split('\n')[0]}` : ''})`;
  }
}

type Log = (line: string) => void;

export async function resolveBinaries(log?: Log): Promise<Binaries>;
export async function resolveBinaries(log: Log, options: { node: true }): Promise<NodeBinaries>;
export async function resolveBinaries(log: Log = console.error, options: { node?: boolean } = {}): Promise<Binaries> {
  const wanted: readonly Component[] = options.node ? [...COMPONENTS, ...NODE_COMPONENTS] : COMPONENTS;
  const found: Partial<Record<Component, string>> = {};
  const userDirs: [string | undefined, readonly Component[]][] = [
    [process.env.WORKSHOP_K8S_BIN_DIR, wanted],
    [process.env.KUBEBUILDER_ASSETS, ['kube-apiserver', 'etcd']],
  ];
  for (const [dir, names] of userDirs) {
    if (!dir) continue;
    for (const name of names) {
      if (found[name]) continue;
      const path = join(dir, name);
      const problem = await checkBinary(path);
      if (!problem) found[name] = path;
      else if (problem !== MISSING) log(`ignoring ${path}: it ${problem}`);
    }
  }

  const cache = binaryCacheDir();
  const missing = async () => {
    const names: Component[] = [];
    for (const name of wanted) {
      if (found[name]) continue;
      const path = join(cache, name);
      const problem = await checkBinary(path);
      if (!problem) found[name] = path;
      else {
        if (problem !== MISSING) {
          log(`cached ${name} at ${path} ${problem}; replacing it`);
          await rm(path, { force: true });
        }
        names.push(name);
      }
    }
    return names;
  };

  let todo = await missing();
  if (todo.length) {
    await download(todo, cache, log);
    todo = await missing();
  }
  if (todo.length) {
    await build(cache, todo, log);
    todo = await missing();
  }
  if (todo.length) throw new Error(`could not provide ${todo.join(', ')}; see the messages above`);
  return found as Binaries;
}

/**
 * Official release locations. Failing here is normal offline: the build comes next. MetalLB and
 * local-path-provisioner publish container images only, and MinIO publishes no binary of the commit
 * we pin, so those are always built.
 */
function releaseUrl(name: Component): string | undefined {
  const os = platform();
  const cpu = arch() === 'x64' ? 'amd64' : arch();
  switch (name) {
    case 'etcd': // only published as an archive
      return `https://github.com/etcd-io/etcd/releases/download/${ETCD_VERSION}/etcd-${ETCD_VERSION}-${os}-${cpu}.tar.gz`;
    case 'coredns': // an archive holding just the binary
      return `https://github.com/coredns/coredns/releases/download/${COREDNS_VERSION}/coredns_${COREDNS_VERSION.slice(1)}_${os}_${cpu}.tgz`;
    case 'traefik': // an archive with the binary, its licence and changelog
      return `https://github.com/traefik/traefik/releases/download/${TRAEFIK_VERSION}/traefik_${TRAEFIK_VERSION}_${os}_${cpu}.tar.gz`;
    case 'metallb-controller':
    case 'local-path-provisioner':
    case 'minio':
      return undefined;
    case 'kwok':
    case 'kwokctl':
      return `https://github.com/kubernetes-sigs/kwok/releases/download/${KWOK_VERSION}/${name}-${os}-${cpu}`;
    default: // the Kubernetes components and kubectl
      return `https://dl.k8s.io/release/${KUBERNETES_VERSION}/bin/${os}/${cpu}/${name}`;
  }
}

async function download(names: Component[], cache: string, log: Log): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const name of names) {
    const url = releaseUrl(name);
    if (!url) continue;
    try {
      log(`downloading ${url}`);
      const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // Written under a temporary name and renamed when complete: a cut download never
      // sits in the cache under the real name.
      const part = join(cache, `${name}.part`);
      await writeFile(part, Buffer.from(await response.arrayBuffer()));
      if (name === 'etcd') {
        await run('tar', ['-xzf', part, '-C', cache, '--strip-components=1', `etcd-${ETCD_VERSION}-${platform()}-${arch() === 'x64' ? 'amd64' : arch()}/etcd`]);
        await rm(part);
      } else if (name === 'coredns' || name === 'traefik') {
        await run('tar', ['-xzf', part, '-C', cache, name]);
        await rm(part);
      } else {
        await chmod(part, 0o755);
        await rename(part, join(cache, name));
      }
    } catch (error) {
      log(`download failed (${(error as Error).message}); will build from source instead`);
      return;
    }
  }
}

async function build(cache: string, names: Component[], log: Log): Promise<void> {
  try {
    await run('go', ['version']);
  } catch {
    throw new Error(
      'the Kubernetes binaries are not cached, could not be downloaded, and Go is not installed to ' +
        'build them. Install Go 1.24+ or point WORKSHOP_K8S_BIN_DIR at a folder with ' +
        names.join(', '),
    );
  }
  log(`building ${names.join(', ')} from source into ${cache} (10-15 min the first time on 2 cores, progress below)`);
  const script = join(import.meta.dirname, 'build-binaries.sh');
  const versions = [KUBERNETES_VERSION, ETCD_VERSION, KWOK_VERSION, COREDNS_VERSION, TRAEFIK_VERSION, METALLB_VERSION, LOCAL_PATH_PROVISIONER_VERSION, MINIO_VERSION];
  const child = spawn('bash', [script, ...versions, cache, ...names], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`building ${names.join(', ')} failed (exit ${code}); see the output above`);
}
