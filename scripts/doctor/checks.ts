// What the workshop needs on an attendee's machine, checked one by one. Each failed check comes
// with the one line that fixes it, so a room full of laptops can be sorted out quickly.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaryCacheDir, checkBinary, COMPONENTS } from '../cluster/binaries.ts';
import { assertPortFree } from '../cluster/ports.ts';
import { realNodeRefusal } from '../cluster/real-node/node.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  /** Which path needs it: kind (Docker), local (the local control plane) or its real node. */
  path: 'kind' | 'local' | 'real-node' | 'both';
  ok: boolean;
  detail: string;
  fix?: string;
}

async function version(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 15_000 });
    return (stdout || stderr).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

export async function runChecks(): Promise<Check[]> {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nodeOk = major > 22 || (major === 22 && minor >= 18);
  const checks: Check[] = [{
    name: 'Node.js', path: 'both', ok: nodeOk, detail: process.version,
    fix: 'run the kit through npm (npm ci installs Node 22 for its scripts), or install Node 22 LTS',
  }];

  const tools: [string, string[], Check['path'], string][] = [
    ['docker', ['version', '--format', '{{.Server.Version}}'], 'kind', 'start Docker Desktop / the Docker engine (docker info must work)'],
    ['kind', ['version'], 'kind', 'install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation'],
    ['kubectl', ['version', '--client', '--output=yaml'], 'both', 'install kubectl: https://kubernetes.io/docs/tasks/tools/'],
  ];
  for (const [cmd, args, path, fix] of tools) {
    const found = await version(cmd, args);
    // `docker version` prints a client version even without an engine; the server part is what counts.
    checks.push({ name: cmd, path, ok: Boolean(found), detail: found ?? 'not available', fix });
  }

  // The local control plane needs its binaries cached, or Go to build them (first `up` downloads
  // them when it can, so a missing cache is not fatal where the internet is reachable).
  const cache = binaryCacheDir();
  const problems = await Promise.all(COMPONENTS.map((name) => checkBinary(join(cache, name))));
  const cached = problems.every((p) => !p);
  const go = await version('go', ['version']);
  checks.push({
    name: 'control-plane bins', path: 'local', ok: cached || Boolean(go),
    detail: cached ? `cached in ${cache}` : go ? `not cached; ${go} can build them` : 'not cached, no Go to build them',
    fix: 'run "npm run cluster -- up --local" with internet access (downloads them), or install Go 1.24+',
  });

  // The real node: Linux, root and a few OS packages (its own binaries build like the control plane's).
  const refusal = await realNodeRefusal();
  checks.push({ name: 'real node', path: 'real-node', ok: !refusal, detail: refusal ?? 'Linux, root, containerd, runc, CNI plugins, iptables and socat present' });

  for (const port of [80, 443]) {
    const free = await assertPortFree(port).then(() => true, () => false);
    checks.push({
      name: `port ${port} on 127.0.0.1`, path: 'kind', ok: free, detail: free ? 'free' : 'in use',
      fix: `stop the program listening on port ${port}; kind's ingress needs it`,
    });
  }
  return checks;
}
