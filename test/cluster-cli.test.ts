// The cluster command's answers to bad input: clear messages, nothing started.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { binaryCacheDir } from '../kind/binaries.ts';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'cluster.ts');

async function cluster(args: string[]) {
  // A private cache dir keeps these runs away from a workshop cluster the user may have up.
  const env = { ...process.env, XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), 'cache-')), WORKSHOP_K8S_BIN_DIR: binaryCacheDir() };
  return run(process.execPath, [script, ...args], { env }).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
}

describe('npm run cluster', () => {
  it('refuses a port that is already taken, naming it', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await cluster(['up', '--local', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stdout).not.toContain('KUBECONFIG=');
    } finally {
      server.close();
    }
  });

  it('rejects a port that is not a number', async () => {
    const result = await cluster(['up', '--local', '--port', 'eighty']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--port must be a port number, got "eighty"');
  });

  it('names the commands it knows', async () => {
    const result = await cluster(['upp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "upp"; use up, down, status or binaries');
  });

  it('reports nothing running in a fresh state directory', async () => {
    const result = await cluster(['status', '--local']);
    expect(result.stdout).toContain('local control plane: not running');
  });
});
