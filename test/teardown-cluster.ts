// node test/teardown-cluster.ts <workdir>: stops the test run's local control plane (and its real
// node) in a process of its own. The global setup starts it when the test runner exits before its
// own teardown could finish — Ctrl-C, a killed runner — so the cluster still goes down completely:
// programs, containers, mounts, iptables chains and bridges, not just the processes.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { stopProgramsOf } from '../patterns/programs.ts';
import { down, localCluster } from '../kind/local.ts';

const cluster = localCluster(process.argv[2]);
const log = (line: string) => console.error(`[teardown] ${line}`);
if (existsSync(cluster.kubeconfig)) {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  await stopProgramsOf(kc, log);
}
await down(cluster, log);
