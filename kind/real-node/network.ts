// The real node's network on this machine: which addresses it uses, and how everything the node
// adds to the host (bridges, iptables chains, the forwarding switch) is taken away again.
// Everything here lives on interfaces the kit creates; nothing is routed off the machine.
import { readFile, writeFile } from 'node:fs/promises';
import { $ } from 'zx';

export const NODE_NAME = 'workshop-node';
/**
 * The node's own address. The kubelet refuses a loopback node IP and this kernel has no `dummy`
 * links, so an empty bridge carries it, as a /32: a local address that leads nowhere else.
 */
export const NODE_BRIDGE = 'kitnode0';
export const NODE_IP = '10.250.0.1';
/** Pods get addresses on a second bridge, through the CNI bridge plugin. */
export const POD_BRIDGE = 'kitpods0';
export const POD_CIDR = '10.244.0.0/24';
/**
 * Room for thousands of Services (kube-apiserver's default is a /24: 253 of them). The first
 * address is the `kubernetes` Service, which pods use to reach the API server.
 */
export const SERVICE_CIDR = '10.96.0.0/16';
export const API_SERVICE_IP = '10.96.0.1';
/** Below the loopback ports kwokctl hands out (it counts down from 32765), so they never collide. */
export const NODE_PORT_RANGE = '30000-30999';
/**
 * Where kwok takes the fake pods' addresses from (its default --cidr). Beside a real node,
 * kube-proxy makes Services of fake pods lead to these addresses, which no machine has, and this
 * machine's default route would send them out of it: a process here dialing such a Service (the
 * Clowder operator asking a fake MinIO for its buckets) would reach whatever answers outside. An
 * unreachable route makes such a dial fail at once instead.
 */
export const FAKE_POD_CIDR = '10.0.0.0/24';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

async function linkExists(name: string): Promise<boolean> {
  return (await $({ quiet: true, nothrow: true })`ip link show ${name}`).exitCode === 0;
}

/** Why the node's network cannot be set up here, or undefined when it can. */
export async function networkConflict(): Promise<string | undefined> {
  for (const name of [NODE_BRIDGE, POD_BRIDGE]) {
    if (await linkExists(name)) {
      return `the interface ${name} already exists: a workshop node is running or was left behind (npm run cluster -- down --local removes it)`;
    }
  }
  const chains = await kubeChains('iptables');
  if (chains.length) {
    return `iptables already holds Kubernetes chains (${chains.slice(0, 3).join(', ')}…): another Kubernetes node runs on this machine`;
  }
  return undefined;
}

/** Creates the node bridge with the node IP and remembers the forwarding switch for tear-down. */
export async function createNodeBridge(stateFile: string): Promise<void> {
  await writeFile(stateFile, (await readFile(IP_FORWARD, 'utf8')).trim());
  await $`ip link add ${NODE_BRIDGE} type bridge`;
  await $`ip addr add ${NODE_IP}/32 dev ${NODE_BRIDGE}`;
  await $`ip link set ${NODE_BRIDGE} up`;
  await $`ip route add unreachable ${FAKE_POD_CIDR}`;
}

/** Deletes both bridges (a pod's veth goes with its network namespace), the route, and restores ip_forward. */
export async function removeNetwork(stateFile: string): Promise<void> {
  await $({ quiet: true, nothrow: true })`ip route del unreachable ${FAKE_POD_CIDR}`;
  for (const name of [POD_BRIDGE, NODE_BRIDGE]) {
    if (await linkExists(name)) await $`ip link delete ${name}`;
  }
  const forward = await readFile(stateFile, 'utf8').catch(() => undefined);
  if (forward === '0' || forward === '1') await writeFile(IP_FORWARD, forward);
}

type Tool = 'iptables' | 'ip6tables';
const TABLES = ['filter', 'nat', 'mangle'];
/** Chains of kube-proxy and the kubelet (KUBE-*) and of the CNI plugins (CNI-*). */
const OURS = /^(KUBE-|CNI-)/;

async function kubeChains(tool: Tool): Promise<string[]> {
  const chains: string[] = [];
  for (const table of TABLES) {
    const rules = await $({ quiet: true, nothrow: true })`${tool} -t ${table} -S`;
    for (const line of rules.stdout.split('\n')) {
      const chain = /^-N (\S+)/.exec(line)?.[1];
      if (chain && OURS.test(chain)) chains.push(`${table}/${chain}`);
    }
  }
  return chains;
}

/**
 * Removes every KUBE-* and CNI-* chain and each rule that jumps to one. `kube-proxy --cleanup`
 * does most of it but stops early without `nft`, and the kubelet's own chains (KUBE-FIREWALL,
 * the canaries) are left to us anyway.
 */
export async function removeChains(): Promise<void> {
  for (const tool of ['iptables', 'ip6tables'] as const) {
    for (const table of TABLES) {
      const rules = await $({ quiet: true, nothrow: true })`${tool} -t ${table} -S`;
      if (rules.exitCode !== 0) continue;
      const lines = rules.stdout.split('\n');
      // Jumps first, from built-in chains and ours alike, so that every chain can then be deleted.
      for (const line of lines) {
        const rule = /^-A (\S+) (.*-j (\S+).*)$/.exec(line);
        if (rule && OURS.test(rule[3]) && !OURS.test(rule[1])) {
          await $({ quiet: true, nothrow: true })`${tool} -t ${table} -D ${rule[1]} ${splitRule(rule[2])}`;
        }
      }
      const chains = lines.map((l) => /^-N (\S+)/.exec(l)?.[1]).filter((c): c is string => !!c && OURS.test(c));
      for (const chain of chains) await $({ quiet: true, nothrow: true })`${tool} -t ${table} -F ${chain}`;
      for (const chain of chains) await $({ quiet: true, nothrow: true })`${tool} -t ${table} -X ${chain}`;
    }
  }
}

/** iptables -S quotes comments; give each argument back as one word. */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}
