// Runs one command the way the attendee's terminal would: bash, from the repository root, with
// kubectl pointed at the guarded context. Output streams to the caller as it comes.
import { spawn } from 'node:child_process';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command may take this long; a rollout status with --timeout=3m is the longest a lesson shows. */
const TIMEOUT_MS = 240_000;

export function runShell(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; onOutput?: (text: string, stream: 'stdout' | 'stderr') => void },
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    // stdin is closed, as for a command given no input: nothing can wait for the keyboard.
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8');
      child[stream].on('data', (text: string) => {
        out[stream] += text;
        options.onOutput?.(text, stream);
      });
    }
    const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), ...out });
    });
  });
}
