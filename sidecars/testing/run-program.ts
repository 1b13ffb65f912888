// Test support (never in the image): runs a sidecar program as a real process, the way a container
// runs it, and collects its JSON log lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface Program {
  pid: number;
  logs: LogLine[];
  /** Resolves with the first log line that matches, or rejects if the program exits first. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

// Every process still running, with the promise of its end, so afterEach can stop what is left.
const running = new Map<ChildProcess, Promise<number | null>>();

/**
 * Starts sidecars/<name>/main.ts with exactly the given environment (plus PATH), so settings from
 * the developer's shell, such as PORT, cannot leak into a test.
 */
export function startProgram(name: string, env: Record<string, string>): Program {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', name, 'main.ts')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    // A line that is not JSON fails the test here: every program must log JSON only.
    for (const line of lines) logs.push(JSON.parse(line) as LogLine);
    for (const wake of waiters.splice(0)) wake();
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close' rather than 'exit': it comes after the last output has been read, so logs are complete.
  let ended = false;
  const exited = once(child, 'close').then(([code]) => {
    ended = true;
    running.delete(child);
    for (const wake of waiters.splice(0)) wake();
    return code as number | null;
  });
  running.set(child, exited);

  const waitForLog = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) return resolve(found);
        if (ended) reject(new Error(`${name} exited before the expected log line; logs:\n${JSON.stringify(logs)}\n${stderr}`));
        else waiters.push(check);
      };
      check();
    });

  return { pid: child.pid!, logs, waitForLog, exited };
}

/** Starts a server program and waits for its "listening" line; returns its base URL too. */
export async function startServer(name: string, env: Record<string, string>) {
  const program = startProgram(name, env);
  const { port } = await program.waitForLog((line) => line.msg === 'listening');
  return { ...program, url: `http://127.0.0.1:${port as number}` };
}

/** Sends SIGTERM to the process with this PID (as the kubelet does) and waits for its exit code. */
export async function stopProgram(program: Program): Promise<number | null> {
  process.kill(program.pid, 'SIGTERM');
  return program.exited;
}

/** For afterEach: kills whatever a test left running, each by its own PID. */
export async function stopAllPrograms(): Promise<void> {
  const left = [...running];
  for (const [child] of left) {
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      // ESRCH: it has already exited; its 'close' event is on the way.
    }
  }
  await Promise.all(left.map(([, exited]) => exited));
}

/** Runs a program that is meant to finish (an init container) and returns its exit code and logs. */
export async function runToExit(name: string, env: Record<string, string>) {
  const program = startProgram(name, env);
  return { code: await program.exited, logs: program.logs };
}

/** A loopback port that is free right now, for a server that must come back on the same port. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls check() until it returns something other than undefined (files appear, content changes). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
