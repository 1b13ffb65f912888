// A test's way to crash the local control plane's API server and bring it back.
import { spawn } from 'node:child_process';
import { open, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isServing, type LocalCluster } from '../kind/local.ts';
import { isAlive } from '../kind/pids.ts';
import { CLUSTER_NAME } from '../kind/workshop.ts';

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
