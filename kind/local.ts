// The local control plane: a real kube-apiserver, etcd, kube-controller-manager and
// kube-scheduler, plus kwok, which plays the kubelet for fake nodes (it marks pods Running and
// Ready and gives them IPs). Deployments really roll out and EndpointSlices really fill; no
// container runs. kwokctl's "binary" runtime does the process management (certificates, flags,
// PID files, start order), so this file only decides what to start and waits for it.
import { CoreV1Api, KubeConfig, StorageV1Api, VersionApi, type V1Node, type V1StorageClass } from '@kubernetes/client-node';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { resolveBinaries, type Binaries } from './binaries.ts';
import { forgetCluster, rememberCluster } from './known-clusters.ts';
import { readPidFiles, stopPids } from './pids.ts';
import { API_SERVER_SANS } from './real-node/config-files.ts';
import { NODE_IP, NODE_PORT_RANGE, SERVICE_CIDR } from './real-node/network.ts';
import { hasRealNode, nodeProcesses, prepareNetwork, realNodeRefusal, startRealNode, stopRealNode } from './real-node/node.ts';
import { PROVISIONER } from './real-node/storage-provisioner.ts';
import { assertPortFree } from './ports.ts';
import { cacheDir, CLUSTER_NAME, KUBERNETES_VERSION, LOCAL_CONTEXT } from './workshop.ts';

/** Fake worker nodes, as in the kind cluster. Each takes 110 pods, a kubelet's default. */
const NODE_COUNT = 2;
/** kwok manages only the nodes annotated with this (set to "fake"). */
export const FAKE_ANNOTATION = 'kwok.x-k8s.io/node';
export const FAKE_TAINT = { key: FAKE_ANNOTATION, value: 'fake', effect: 'NoSchedule' };

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

export interface UpOptions {
  port?: number;
  nodes?: number;
  /** Adds a real worker node on this machine (Linux, root): containers really run. */
  realNode?: boolean;
  /**
   * An audit policy file for kube-apiserver; the log goes to auditLog(cluster). Off by default:
   * benchmarks turn it on to count requests as the API server saw them.
   */
  auditPolicy?: string;
  log?: Log;
}

export async function up(cluster: LocalCluster, options: UpOptions = {}): Promise<void> {
  const log = options.log ?? console.error;
  const realNode = options.realNode ?? false;
  const nodeBinaries = realNode ? await resolveBinaries(log, { node: true }) : undefined;
  const binaries = nodeBinaries ?? await resolveBinaries(log);
  const kwok = kwokctl(cluster, binaries);
  const created = existsSync(join(cluster.workdir, 'clusters', CLUSTER_NAME));

  if (created && realNode !== hasRealNode(cluster.workdir)) {
    throw new Error(`the local control plane exists ${realNode ? 'without' : 'with'} a real node; ` +
      `run "npm run cluster -- down --local" first, then up ${realNode ? 'with' : 'without'} --real-node`);
  }
  if (await isServing(cluster)) {
    log('local control plane already running');
    await warnOfNarrowServiceRange(cluster, log);
  } else if (created && realNode) {
    // The node's bridges and containers do not survive a reboot; starting it afresh is simpler.
    throw new Error('the local control plane with a real node was left stopped; run "npm run cluster -- down --local", then up again');
  } else if (created) {
    // Left stopped, e.g. after a reboot: restart the same processes on the same data.
    log('starting the existing local control plane');
    await warnOfNarrowServiceRange(cluster, log);
    await kwok(['start', 'cluster', '--name', CLUSTER_NAME, '--wait', '60s']);
  } else {
    if (options.port) await assertPortFree(options.port);
    const refusal = realNode ? await realNodeRefusal() : undefined;
    if (refusal) throw new Error(refusal);
    await mkdir(cluster.workdir, { recursive: true });
    const config = join(cluster.workdir, 'kwokctl.yaml');
    await writeFile(config, kwokctlConfig(cluster, binaries, { port: options.port, realNode, auditPolicy: options.auditPolicy }));
    log(`creating the local control plane (Kubernetes ${KUBERNETES_VERSION})${realNode ? ' with a real node' : ''}`);
    try {
      // The node IP must exist before kwokctl writes the API server's certificate.
      if (realNode) await prepareNetwork(cluster.workdir);
      await kwok(['create', 'cluster', '--name', CLUSTER_NAME, '--config', config,
        '--kubeconfig', cluster.kubeconfig, '--wait', '60s']);
      await ensureNodes(cluster, options.nodes ?? NODE_COUNT, realNode, log);
      await ensureStorageClass(cluster);
      if (nodeBinaries) await startRealNode(cluster.workdir, cluster.kubeconfig, kubeConfigFor(cluster), nodeBinaries, log);
      rememberCluster(kubeConfigFor(cluster), LOCAL_CONTEXT);
    } catch (error) {
      // A failed start must not leave half a cluster running: stop what was started.
      await down(cluster, log);
      throw new Error(`the local control plane did not start: ${firstLines(error)}`);
    }
    return;
  }
  await ensureNodes(cluster, options.nodes ?? NODE_COUNT, realNode, log);
  await ensureStorageClass(cluster);
  rememberCluster(kubeConfigFor(cluster), LOCAL_CONTEXT);
}

/** Settings for kwokctl. Everything binds to loopback; nothing is downloaded. */
function kwokctlConfig(cluster: LocalCluster, binaries: Binaries, options: { port?: number; realNode: boolean; auditPolicy?: string }): string {
  const pki = join(cluster.workdir, 'clusters', CLUSTER_NAME, 'pki');
  const apiServerArgs: [string, string][] = [
    ['service-cluster-ip-range', SERVICE_CIDR],
    ['service-node-port-range', NODE_PORT_RANGE],
    // Namespaces can then pin their pods to the fake nodes (test namespaces do, see test/cluster.ts).
    ['enable-admission-plugins', 'PodNodeSelector,PodTolerationRestriction'],
    ...(options.realNode ? [
      // The `kubernetes` Service points at the node IP, where a relay forwards to loopback.
      ['advertise-address', NODE_IP],
      // For logs and exec: the kubelet trusts kwokctl's CA, so its admin certificate will do.
      ['kubelet-client-certificate', join(pki, 'admin.crt')],
      ['kubelet-client-key', join(pki, 'admin.key')],
      // The node's name resolves nowhere; its address is what to dial.
      ['kubelet-preferred-address-types', 'InternalIP'],
    ] as [string, string][] : []),
  ];
  const extraArgs = (args: [string, string][], override = false) =>
    args.map(([key, value]) => `      - { key: ${key}, value: "${value}"${override ? ', override: true' : ''} }`).join('\n');
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
${options.port ? `  kubeApiserverPort: ${options.port}\n` : ''}${options.auditPolicy ? `  kubeAuditPolicy: ${options.auditPolicy}\n` : ''}  kubeApiserverCertSANs: [${API_SERVER_SANS.join(', ')}]
  kubeApiserverBinary: ${binaries['kube-apiserver']}
  kubeControllerManagerBinary: ${binaries['kube-controller-manager']}
  kubeSchedulerBinary: ${binaries['kube-scheduler']}
  kwokControllerBinary: ${binaries.kwok}
  etcdBinary: ${binaries.etcd}
componentsPatches:
  - name: kube-apiserver
    extraArgs:
${extraArgs(apiServerArgs)}
  # kwokctl lets kwok manage every node; it must never take over a real one.
  - name: kwok-controller
    extraArgs:
${extraArgs([['manage-all-nodes', 'false']], true)}
${extraArgs([['manage-nodes-with-annotation-selector', `${FAKE_ANNOTATION}=fake`]])}
`;
}

/**
 * Control planes created before the Service range was widened to SERVICE_CIDR keep
 * kube-apiserver's default /24: after 253 Services every create fails with "range is full".
 * The range cannot change under existing Services, so the cure is a new cluster: say so.
 */
async function warnOfNarrowServiceRange(cluster: LocalCluster, log: Log): Promise<void> {
  const config = await readFile(join(cluster.workdir, 'kwokctl.yaml'), 'utf8').catch(() => '');
  if (config && !config.includes(SERVICE_CIDR)) {
    log(`note: this local control plane was created with room for 253 Services only; ` +
      `"npm run cluster -- down --local" and up again gives it ${SERVICE_CIDR} (its objects are lost)`);
  }
}

/** Where kube-apiserver writes its audit log, when the cluster was created with an audit policy. */
export function auditLog(cluster: LocalCluster): string {
  return join(cluster.workdir, 'clusters', CLUSTER_NAME, 'logs', 'audit.log');
}

/**
 * Fake nodes are plain Node objects; kwok takes over the ones annotated for it and keeps
 * them Ready. They carry no taint, so lesson pods schedule onto them as onto real workers.
 */
async function ensureNodes(cluster: LocalCluster, count: number, realNode: boolean, log: Log): Promise<void> {
  const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (let i = 1; i <= count; i++) {
    const name = `worker-${i}`;
    if (!existing.has(name)) await core.createNode({ body: fakeNode(name, realNode) });
  }
  const deadline = Date.now() + 60_000;
  while ((await readyNodes(core)) < count) {
    if (Date.now() > deadline) throw new Error(`nodes did not become Ready within 60 s; logs: ${join(cluster.workdir, 'clusters', CLUSTER_NAME, 'logs')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`${count} nodes Ready`);
}

/**
 * Beside a real node the fake ones are tainted, so that pods land on them only when they ask
 * to (the test namespaces of the operators' suites do): lesson pods then run for real.
 */
function fakeNode(name: string, realNode: boolean): V1Node {
  return {
    metadata: {
      name,
      annotations: { [FAKE_ANNOTATION]: 'fake' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    spec: realNode ? { taints: [FAKE_TAINT] } : {},
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  };
}

/**
 * kind's default StorageClass, by name and settings: a PersistentVolumeClaim that names no class
 * gets `storageClassName: standard` from the API server (its DefaultStorageClass admission
 * plugin), on this cluster as on kind. Beside a real node the same program as on kind,
 * local-path-provisioner, provisions it (real-node/storage-provisioner.ts); on fake nodes alone
 * nothing does, and such a claim stays Pending, as it would without a class.
 */
export const DEFAULT_STORAGE_CLASS: V1StorageClass = {
  metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

async function ensureStorageClass(cluster: LocalCluster): Promise<void> {
  const storage = kubeConfigFor(cluster).makeApiClient(StorageV1Api);
  const exists = (await storage.listStorageClass()).items.some((c) => c.metadata?.name === DEFAULT_STORAGE_CLASS.metadata!.name);
  if (!exists) await storage.createStorageClass({ body: DEFAULT_STORAGE_CLASS });
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

/** PIDs of the processes kwokctl started, and of the real node's programs if it has one. */
export async function processes(cluster: LocalCluster): Promise<Record<string, number>> {
  return {
    ...(await readPidFiles(join(cluster.workdir, 'clusters', CLUSTER_NAME, 'pids'))),
    ...(await nodeProcesses(cluster.workdir)),
  };
}

/**
 * Stops every process of the cluster by the PID kwokctl recorded and removes its state. Done
 * here rather than by `kwokctl delete` so that `down` works even when the binaries are gone.
 * etcd goes last: a kube-apiserver whose etcd has vanished hangs on shutdown.
 */
export async function down(cluster: LocalCluster, log: Log = console.error): Promise<void> {
  if (hasRealNode(cluster.workdir)) {
    // The node goes first, while the API server can still tell the kubelet to stop the pods.
    const kc = (await isServing(cluster)) ? kubeConfigFor(cluster) : undefined;
    await stopRealNode(cluster.workdir, kc, log);
  }
  if (existsSync(cluster.kubeconfig)) forgetCluster(kubeConfigFor(cluster), LOCAL_CONTEXT);
  const { etcd, ...clients } = await readPidFiles(join(cluster.workdir, 'clusters', CLUSTER_NAME, 'pids'));
  await stopPids(clients, log);
  if (etcd) await stopPids({ etcd }, log);
  await rm(cluster.workdir, { recursive: true, force: true });
  log(`local control plane stopped (${Object.keys(clients).length + (etcd ? 1 : 0)} processes) and removed`);
}

function firstLines(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n').slice(-5).join('\n');
}
