// A real worker node beside the local control plane: containerd and runc run the containers,
// the CNI bridge plugin wires up pod networking, the kubelet registers the node, kube-proxy
// programs Services into iptables and CoreDNS answers cluster names. Every program is the real
// upstream one; each is started here, recorded by PID, and stopped by that PID.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { platform } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import type { NodeBinaries } from '../binaries.ts';
import { readPidFiles, stopPids } from '../pids.ts';
import { buildNodeImages, PAUSE_IMAGE } from '../images/index.ts';
import { CLUSTER_NAME } from '../workshop.ts';
import { containerdConfig, cniConfig, corefile, kubeletConfig, kubeProxyConfig, nodePaths } from './config-files.ts';
import { startIngressController } from './ingress-controller.ts';
import { removePoolRoute, startLoadBalancer } from './load-balancer.ts';
import { startStorageProvisioner } from './storage-provisioner.ts';
import { createNodeBridge, networkConflict, NODE_IP, NODE_NAME, removeChains, removeNetwork } from './network.ts';
import { freePort, startProgram, waitUntil } from './programs.ts';

type Log = (line: string) => void;

/** OS packages the node needs besides the binaries the kit builds; `.ci/run` installs them. */
const PACKAGES: [command: string, pkg: string][] = [
  ['containerd', 'containerd'], ['runc', 'runc'], ['ctr', 'containerd'], ['/usr/lib/cni/bridge', 'containernetworking-plugins'],
  ['iptables', 'iptables'], ['ip', 'iproute2'], ['socat', 'socat'], ['gcc', 'gcc'], ['conntrack', 'conntrack'],
  // The PostgreSQL image is made of Debian's packages, fetched and unpacked, not installed
  // (../images/debian-packages.ts).
  ['apt-get', 'apt'], ['dpkg-deb', 'dpkg'],
];

/** Why a real node cannot run here (one line), or undefined when it can. */
export async function realNodeRefusal(): Promise<string | undefined> {
  if (platform() !== 'linux') return `a real node needs Linux (this is ${platform()}); use kind, or --local without --real-node`;
  if (process.getuid?.() !== 0) return 'a real node needs root (it creates bridges and iptables rules); run as root, or use --local without --real-node';
  const missing: string[] = [];
  for (const [command, pkg] of PACKAGES) {
    const found = command.startsWith('/') ? existsSync(command) : (await $({ quiet: true, nothrow: true })`command -v ${command}`).exitCode === 0;
    if (!found && !missing.includes(pkg)) missing.push(pkg);
  }
  if (missing.length) return `a real node needs ${missing.join(', ')}: apt-get install ${missing.join(' ')}`;
  return networkConflict();
}

/** Step one, before the control plane starts: the node IP must exist to land in its certificate. */
export async function prepareNetwork(workdir: string): Promise<void> {
  const paths = nodePaths(workdir);
  await mkdir(paths.dir, { recursive: true });
  await createNodeBridge(paths.ipForward);
}

/** Whether `up` made this workdir's control plane with a real node. */
export function hasRealNode(workdir: string): boolean {
  return existsSync(nodePaths(workdir).dir);
}

/** Starts the node's programs against the running control plane and waits for the node to be Ready. */
export async function startRealNode(workdir: string, kubeconfig: string, kc: KubeConfig, binaries: NodeBinaries, log: Log): Promise<void> {
  const paths = nodePaths(workdir);
  for (const dir of [paths.pids, paths.logs, paths.containerd, paths.cniConf, paths.kubelet, paths.volumes]) await mkdir(dir, { recursive: true });
  const pki = join(workdir, 'clusters', CLUSTER_NAME, 'pki');
  const started = Date.now();

  await writeFile(join(paths.dir, 'containerd.toml'), containerdConfig(paths, PAUSE_IMAGE));
  await startProgram(paths, 'containerd', 'containerd', ['--config', join(paths.dir, 'containerd.toml')]);
  const ctr = (args: string[]) => $({ quiet: true })`ctr --address ${paths.socket} -n k8s.io ${args}`;
  await waitUntil('containerd to answer', () => ctr(['version']).then(() => true, () => false), 30_000, paths, 'containerd');

  for (const image of await buildNodeImages(log, binaries)) {
    await ctr(['images', 'import', image.archive]);
    log(`image ${image.name} imported`);
  }

  await writeFile(join(paths.cniConf, '10-workshop.conflist'), cniConfig(paths));

  // Pods reach the API server through the `kubernetes` Service, whose endpoint is the node IP
  // (--advertise-address). The API server itself listens on loopback only; socat relays the one
  // port from the node IP to it.
  const apiPort = new URL(kc.getCurrentCluster()!.server).port;
  await startProgram(paths, 'api-relay', 'socat', [`TCP-LISTEN:${apiPort},bind=${NODE_IP},reuseaddr,fork`, `TCP:127.0.0.1:${apiPort}`]);

  const dnsReady = await freePort();
  await writeFile(join(paths.dir, 'Corefile'), corefile(kubeconfig, dnsReady));
  await startProgram(paths, 'coredns', binaries.coredns, ['-conf', join(paths.dir, 'Corefile')]);

  await writeFile(join(paths.dir, 'kubelet.yaml'), kubeletConfig(paths, join(pki, 'ca.crt')));
  await startProgram(paths, 'kubelet', binaries.kubelet, [
    `--config=${join(paths.dir, 'kubelet.yaml')}`, `--kubeconfig=${kubeconfig}`, `--hostname-override=${NODE_NAME}`,
    `--node-ip=${NODE_IP}`, `--root-dir=${paths.kubelet}`, '--v=1',
  ]);

  await writeFile(join(paths.dir, 'kube-proxy.yaml'), kubeProxyConfig(kubeconfig, await freePort(), await freePort()));
  await startProgram(paths, 'kube-proxy', binaries['kube-proxy'], [`--config=${join(paths.dir, 'kube-proxy.yaml')}`]);

  const core = kc.makeApiClient(CoreV1Api);
  await waitUntil(`node ${NODE_NAME} to be Ready`, async () => {
    const node = await core.readNode({ name: NODE_NAME }).catch(() => undefined);
    return Boolean(node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 60_000, paths, 'kubelet');
  await waitUntil('CoreDNS to be ready', () => fetch(`http://127.0.0.1:${dnsReady}/ready`).then((r) => r.ok, () => false), 30_000, paths, 'coredns');
  log(`real node ${NODE_NAME} Ready (${((Date.now() - started) / 1000).toFixed(1)} s after containerd started; node IP ${NODE_IP})`);

  await startIngressController(paths, kubeconfig, kc, binaries.traefik, log);
  await startLoadBalancer(paths, kubeconfig, kc, binaries['metallb-controller'], log);
  await startStorageProvisioner(paths, kubeconfig, kc, binaries['local-path-provisioner'], log);
}

/**
 * Stops the node and takes away all it added: pods first, through the API while it still
 * answers (so the kubelet tears their networks down), then the programs by PID, leftover
 * containers, iptables chains, mounts, cgroups and bridges.
 */
export async function stopRealNode(workdir: string, kc: KubeConfig | undefined, log: Log): Promise<void> {
  const paths = nodePaths(workdir);
  if (!existsSync(paths.dir)) return;
  const pids = await nodeProcesses(workdir);
  const ctr = (args: string[]) => $({ quiet: true, nothrow: true })`ctr --address ${paths.socket} -n k8s.io ${args}`;
  const containers = async () => (await ctr(['containers', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  // The kubelet stops a deleted pod's containers (and its network) at once, but removes them later.
  const running = async () => (await ctr(['tasks', 'ls'])).stdout.split('\n').filter((l) => / RUNNING$/.test(l)).length;

  if (kc && pids.kubelet && pids.containerd) await drain(kc, running).catch((e) => log(`draining ${NODE_NAME}: ${e.message}`));
  const { containerd, ...programs } = pids;
  await stopPids(programs, log);
  // Whatever the kubelet did not get to: kill and remove it through containerd itself.
  if (containerd) {
    for (const id of await containers()) {
      await ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]);
      await ctr(['tasks', 'delete', '--force', id]);
      await ctr(['containers', 'delete', id]);
    }
    await stopPids({ containerd }, log);
  }
  await removeChains();
  await removePoolRoute();
  await unmountUnder(paths.dir);
  await $({ quiet: true, nothrow: true })`find /sys/fs/cgroup -depth -type d -path '*/kubepods*' -exec rmdir {} +`;
  await removeNetwork(paths.ipForward);
  await rm(paths.dir, { recursive: true, force: true });
  log(`real node ${NODE_NAME} stopped (${Object.keys(pids).length} processes) and its bridges, iptables chains and mounts removed`);
}

/** No new pods, every pod deleted, and the kubelet given time to stop their sandboxes. */
async function drain(kc: KubeConfig, running: () => Promise<number>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.patchNode({ name: NODE_NAME, body: { spec: { unschedulable: true } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE_NAME}` });
  await Promise.all(pods.items.map((p) => core.deleteNamespacedPod({
    name: p.metadata!.name!, namespace: p.metadata!.namespace!, gracePeriodSeconds: 1,
  }).catch(() => undefined)));
  const deadline = Date.now() + 30_000;
  while ((await running()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

/** PIDs of the node's running programs, from their PID files. */
export function nodeProcesses(workdir: string): Promise<Record<string, number>> {
  return readPidFiles(nodePaths(workdir).pids);
}

/** Unmounts everything below dir, deepest first: the kubelet's volumes, pod rootfs, netns files. */
async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo.split('\n').map((l) => l.split(' ')[4]).filter(Boolean)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    const result = await $({ quiet: true, nothrow: true })`umount ${point}`;
    if (result.exitCode !== 0) await $({ quiet: true, nothrow: true })`umount -l ${point}`;
  }
}
