// The configuration files of the real node's programs. Each keeps its state under the node's own
// directory, listens on the node IP or loopback only, and is set for what this machine allows.
import { join } from 'node:path';
import { LOCAL_CONTEXT } from '../workshop.ts';
import { API_SERVICE_IP, NODE_IP, NODE_NAME, POD_BRIDGE, POD_CIDR } from './network.ts';

/** Where the node keeps everything; inside the local control plane's workdir. */
export function nodePaths(workdir: string) {
  const dir = join(workdir, 'node');
  return {
    dir,
    pids: join(dir, 'pids'),
    logs: join(dir, 'logs'),
    containerd: join(dir, 'containerd'),
    socket: join(dir, 'containerd', 'containerd.sock'),
    cniConf: join(dir, 'cni', 'net.d'),
    cniState: join(dir, 'cni', 'ipam'),
    kubelet: join(dir, 'kubelet'),
    /** One directory per provisioned volume (./storage-provisioner.ts). */
    volumes: join(dir, 'volumes'),
    ipForward: join(dir, 'ip_forward.before'),
  };
}
export type NodePaths = ReturnType<typeof nodePaths>;

export function containerdConfig(paths: NodePaths, sandboxImage: string): string {
  const state = join(paths.containerd, 'state');
  return `version = 2
root = "${join(paths.containerd, 'root')}"
state = "${state}"
# Storage back ends this machine does not have; disabled so they do not fill the log with errors.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt"]

[grpc]
  address = "${paths.socket}"

[plugins."io.containerd.grpc.v1.cri"]
  # Built here from pause.c and imported, never pulled.
  sandbox_image = "${sandboxImage}"
  # Root here lacks CAP_SYS_RESOURCE: runc cannot lower a container's oom_score_adj, and without
  # this every sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, so tear-down finds every one of them.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${paths.cniConf}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${join(state, 'runc')}"
`;
}

/** One bridge for all pods, host-local addresses, and hairpin so a pod can reach itself via a Service. */
export function cniConfig(paths: NodePaths): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'workshop',
    plugins: [
      {
        type: 'bridge',
        bridge: POD_BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir: paths.cniState, ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export function kubeletConfig(paths: NodePaths, caFile: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The kubelet's API (logs, exec) on the node IP only; the API server reaches it there.
address: ${NODE_IP}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${caFile} }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://${paths.socket}
# No systemd here.
cgroupDriver: cgroupfs
# Cluster DNS is CoreDNS on the node IP; pods get no search domains from the host.
clusterDNS: [${NODE_IP}]
clusterDomain: cluster.local
resolvConf: ""
failSwapOn: false
# The workshop image is imported, not pulled: garbage collection must never remove it, and a
# laptop's full disk must not evict the lesson's pods.
imageGCHighThresholdPercent: 100
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
serializeImagePulls: false
`;
}

export function kubeProxyConfig(kubeconfig: string, metricsPort: number, healthzPort: number): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: ${NODE_NAME}
clientConnection: { kubeconfig: ${kubeconfig} }
clusterCIDR: ${POD_CIDR}
# NodePorts answer on the node IP only, never on loopback or the machine's other interfaces.
nodePortAddresses: [${NODE_IP}/32]
# Rules follow each change at once (the default waits up to 1 s after the last sync): a lesson
# fetches from a load balancer's address the moment it appears in the Service's status.
iptables: { localhostNodePorts: false, minSyncPeriod: 0s }
# kube-proxy cannot set conntrack sysctls here (root lacks CAP_SYS_RESOURCE): leave them as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
metricsBindAddress: 127.0.0.1:${metricsPort}
healthzBindAddress: 127.0.0.1:${healthzPort}
`;
}

/**
 * CoreDNS as a process on the node IP, answering for cluster.local from the API. There is no
 * `forward`: names outside the cluster have nowhere to go from this machine anyway.
 */
export function corefile(kubeconfig: string, readyPort: number): string {
  return `.:53 {
    bind ${NODE_IP}
    errors
    ready 127.0.0.1:${readyPort}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} ${LOCAL_CONTEXT}
        pods insecure
    }
    cache 5
}
`;
}

/** The first Service address is how pods reach the API server; its certificate must name it. */
export const API_SERVER_SANS = [API_SERVICE_IP, NODE_IP];
