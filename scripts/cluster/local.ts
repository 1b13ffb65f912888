// The local control plane: a real kube-apiserver, etcd, kube-controller-manager and
// kube-scheduler, plus kwok, which plays the kubelet for fake nodes (it marks pods Running and
// Ready and gives them IPs). Deployments really roll out and EndpointSlices really fill; no
// container runs. kwokctl's "binary" runtime does the process management (certificates, flags,
// PID files, start order), so this file only decides what to start and waits for it.
import { CoreV1Api, KubeConfig, VersionApi, type V1Node } from '@kubernetes/client-node';
import { mkdir, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { resolveBinaries, type Binaries } from './binaries.ts';
import { assertPortFree } from './ports.ts';
import { cacheDir, CLUSTER_NAME, KUBERNETES_VERSION, LOCAL_CONTEXT } from './workshop.ts';

/** Fake worker nodes, as in the kind cluster. Each takes 110 pods, a kubelet's default. */
const NODE_COUNT = 2;

export interface LocalCluster {
  /** kwokctl's working directory: certificates, logs, PID files, etcd data. */
  workdir: string;
  kubeconfig: string;
}

/** The workshop's cluster lives in the cache; tests pass their own temporary workdir. */
export function localCluster(workdir = join(cacheDir(), 'local')): LocalCluster {
  return { workdir, kubeconfig: join(workdir, 'kubeconfig') };
}

type Log = (line: string) => void;

function kwokctl(cluster: LocalCluster, binaries: Pick<Binaries, 'kwokctl'>) {
  // KWOK_WORKDIR keeps every file kwokctl writes inside our workdir instead of ~/.kwok.
  const env = { ...process.env, KWOK_WORKDIR: cluster.workdir };
  return (args: string[]) => $({ env, quiet: true })`${binaries.kwokctl} ${args}`;
}

export async function up(
  cluster: LocalCluster,
  options: { port?: number; nodes?: number; log?: Log } = {},
): Promise<void> {
  const log = options.log ?? console.error;
  const binaries = await resolveBinaries(log);
  const kwok = kwokctl(cluster, binaries);

  if (await isServing(cluster)) {
    log('local control plane already running');
  } else if (existsSync(join(cluster.workdir, 'clusters', CLUSTER_NAME))) {
    // Left stopped, e.g. after a reboot: restart the same processes on the same data.
    log('starting the existing local control plane');
    await kwok(['start', 'cluster', '--name', CLUSTER_NAME, '--wait', '60s']);
  } else {
    if (options.port) await assertPortFree(options.port);
    await mkdir(cluster.workdir, { recursive: true });
    const config = join(cluster.workdir, 'kwokctl.yaml');
    await writeFile(config, kwokctlConfig(binaries, options.port));
    log(`creating the local control plane (Kubernetes ${KUBERNETES_VERSION})`);
    try {
      await kwok(['create', 'cluster', '--name', CLUSTER_NAME, '--config', config,
        '--kubeconfig', cluster.kubeconfig, '--wait', '60s']);
      await ensureNodes(cluster, options.nodes ?? NODE_COUNT, log);
    } catch (error) {
      // A failed start must not leave half a cluster running: stop what was started.
      await down(cluster, log);
      throw new Error(`the local control plane did not start: ${firstLines(error)}`);
    }
    return;
  }
  await ensureNodes(cluster, options.nodes ?? NODE_COUNT, log);
}

/** Settings for kwokctl. Everything binds to loopback; nothing is downloaded. */
function kwokctlConfig(binaries: Binaries, port?: number): string {
  return `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: ${KUBERNETES_VERSION}
  # RBAC and admission (Pod Security, ValidatingAdmissionPolicy) on, as in a real cluster,
  # so lessons about least privilege and restricted pods are checked for real.
  kubeAuthorization: true
  kubeAdmission: true
${port ? `  kubeApiserverPort: ${port}\n` : ''}  kubeApiserverBinary: ${binaries['kube-apiserver']}
  kubeControllerManagerBinary: ${binaries['kube-controller-manager']}
  kubeSchedulerBinary: ${binaries['kube-scheduler']}
  kwokControllerBinary: ${binaries.kwok}
  etcdBinary: ${binaries.etcd}
`;
}

/**
 * Fake nodes are plain Node objects; kwok takes over the ones annotated for it and keeps
 * them Ready. They carry no taint, so lesson pods schedule onto them as onto real workers.
 */
async function ensureNodes(cluster: LocalCluster, count: number, log: Log): Promise<void> {
  const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (let i = 1; i <= count; i++) {
    const name = `worker-${i}`;
    if (!existing.has(name)) await core.createNode({ body: fakeNode(name) });
  }
  const deadline = Date.now() + 60_000;
  while ((await readyNodes(core)) < count) {
    if (Date.now() > deadline) throw new Error(`nodes did not become Ready within 60 s; logs: ${join(cluster.workdir, 'clusters', CLUSTER_NAME, 'logs')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`${count} nodes Ready`);
}

function fakeNode(name: string): V1Node {
  return {
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  };
}

async function readyNodes(core: CoreV1Api): Promise<number> {
  const nodes = await core.listNode();
  return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

export function kubeConfigFor(cluster: LocalCluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  kc.setCurrentContext(LOCAL_CONTEXT);
  return kc;
}

export async function isServing(cluster: LocalCluster): Promise<boolean> {
  if (!existsSync(cluster.kubeconfig)) return false;
  try {
    const version = kubeConfigFor(cluster).makeApiClient(VersionApi);
    await Promise.race([version.getCode(), new Promise((_, no) => setTimeout(no, 3000))]);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of the processes kwokctl started, from its PID files. */
export async function processes(cluster: LocalCluster): Promise<Record<string, number>> {
  const dir = join(cluster.workdir, 'clusters', CLUSTER_NAME, 'pids');
  const found: Record<string, number> = {};
  for (const file of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number((await readFile(join(dir, file), 'utf8')).trim());
    if (pid > 0 && isAlive(pid)) found[file.replace(/\.pid$/, '')] = pid;
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops every process of the cluster by the PID kwokctl recorded and removes its state. Done
 * here rather than by `kwokctl delete` so that `down` works even when the binaries are gone.
 * etcd goes last: a kube-apiserver whose etcd has vanished hangs on shutdown.
 */
export async function down(cluster: LocalCluster, log: Log = console.error): Promise<void> {
  const { etcd, ...clients } = await processes(cluster);
  await stop(clients, log);
  if (etcd) await stop({ etcd }, log);
  await rm(cluster.workdir, { recursive: true, force: true });
  log(`local control plane stopped (${Object.keys(clients).length + (etcd ? 1 : 0)} processes) and removed`);
}

/** SIGTERM, then SIGKILL for whatever is still alive after 10 s. */
async function stop(pids: Record<string, number>, log: Log): Promise<void> {
  for (const pid of Object.values(pids)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  for (const [name, pid] of Object.entries(pids)) {
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) {
      log(`${name} (pid ${pid}) did not stop; killing it`);
      process.kill(pid, 'SIGKILL');
    }
  }
}

function firstLines(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n').slice(-5).join('\n');
}

/**
 * Kills kube-apiserver and starts it again with the same command line, as a crash followed by a
 * supervisor's restart would. For tests of clients that must survive an API server outage: etcd
 * keeps the data, so the new process serves the same cluster on the same port. (`kwokctl start
 * cluster` does not restart a single killed component reliably, so we do it ourselves.) Reads the
 * old command line from /proc, so Linux only.
 */
export async function restartApiServer(cluster: LocalCluster): Promise<void> {
  const dir = join(cluster.workdir, 'clusters', CLUSTER_NAME);
  const pidFile = join(dir, 'pids', 'kube-apiserver.pid');
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  const [command, ...args] = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  const cwd = await readlink(`/proc/${pid}/cwd`);
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  const log = await open(join(dir, 'logs', 'kube-apiserver.log'), 'a');
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', log.fd, log.fd] });
  child.unref();
  await log.close();
  // down() stops processes by their PID files, so the new process must be recorded there.
  await writeFile(pidFile, String(child.pid));
  const deadline = Date.now() + 60_000;
  while (!(await isServing(cluster))) {
    if (Date.now() > deadline) throw new Error(`kube-apiserver did not come back within 60 s; log: ${join(dir, 'logs', 'kube-apiserver.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
