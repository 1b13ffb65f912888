// The programs an attendee runs "in a second terminal": an operator, a web front. Each is started
// as a process group of its own that outlives the CLI call that started it, so `run --step 5` and
// then `run --step 6` work as two commands. A small JSON file per program records its PID, its log
// and its kubeconfig; `lesson status` lists them and a Ctrl-C, a reset or `cluster down` stops
// them — by that PID, never by name.
import type { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from '../kind/workshop.ts';
import type { Program } from './lesson.ts';

export interface RunningProgram {
  lesson: string;
  terminal: string;
  command: string;
  pid: number;
  /** Everything the program printed, from its start. */
  log: string;
  /** A copy holding only the guarded context, removed when the program stops. */
  kubeconfig: string;
}

/** The programs of the current context's cluster, kept by its API server's address: they talk to no other. */
export function programsDir(kc: KubeConfig): string {
  const server = kc.getCurrentCluster()?.server ?? 'none';
  return join(cacheDir(), 'programs', server.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_'));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The programs still running in `dir`; records of programs that ended on their own are removed. */
export async function runningPrograms(dir: string, lesson?: string): Promise<RunningProgram[]> {
  const names = await readdir(dir).catch(() => []);
  const found: RunningProgram[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const p = JSON.parse(await readFile(join(dir, name), 'utf8')) as RunningProgram;
    if (!alive(p.pid)) await forget(dir, p);
    else if (!lesson || p.lesson === lesson) found.push(p);
  }
  return found;
}

const baseName = (dir: string, lesson: string, terminal: string) => join(dir, `${lesson}--${terminal.replace(/[^A-Za-z0-9-]+/g, '-')}`);

async function forget(dir: string, p: RunningProgram): Promise<void> {
  await rm(`${baseName(dir, p.lesson, p.terminal)}.json`, { force: true });
  await rm(p.kubeconfig, { force: true });
}

const READY_TIMEOUT_MS = 90_000;

/**
 * Starts `program` unless it already runs, and waits for its ready line. Its output goes to its
 * log, and — until it is ready — also to `onOutput`, as the attendee sees it in that terminal.
 */
export async function startProgram(
  dir: string, lesson: string, program: Program,
  run: { cwd: string; env: NodeJS.ProcessEnv; kubeconfig: string; onOutput: (text: string) => void },
): Promise<{ program: RunningProgram; already: boolean }> {
  const existing = (await runningPrograms(dir, lesson)).find((p) => p.terminal === program.terminal);
  if (existing) return { program: existing, already: true };

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = baseName(dir, lesson, program.terminal);
  const record: RunningProgram = { lesson, terminal: program.terminal, command: program.start, pid: 0, log: `${base}.log`, kubeconfig: `${base}.kubeconfig` };
  await writeFile(record.kubeconfig, run.kubeconfig, { mode: 0o600 });
  const log = await open(record.log, 'w');
  // detached: a process group of its own, so that stopping it stops npm and the node under it.
  const child = spawn('bash', ['-o', 'pipefail', '-c', program.start], {
    cwd: run.cwd, env: { ...run.env, KUBECONFIG: record.kubeconfig }, detached: true, stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  child.unref();
  record.pid = child.pid!;
  await writeFile(`${base}.json`, JSON.stringify(record), { mode: 0o600 });

  let shown = 0;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const text = await readFile(record.log, 'utf8');
    run.onOutput(text.slice(shown));
    shown = text.length;
    if (program.ready.test(text)) return { program: record, already: false };
    if (exited !== undefined) {
      await forget(dir, record);
      throw new Error(`${program.terminal} exited (code ${exited}) before it printed a line matching ${program.ready}`);
    }
    if (Date.now() > deadline) {
      await stopProgram(dir, record);
      throw new Error(`${program.terminal} printed no line matching ${program.ready} within ${READY_TIMEOUT_MS / 1000} s; stopped it`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a program's whole process group: SIGTERM, as Ctrl-C would, then SIGKILL after 10 s. */
export async function stopProgram(dir: string, p: RunningProgram): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-p.pid, s);
    } catch {}
  };
  signal('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(-p.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(-p.pid)) signal('SIGKILL');
  await forget(dir, p);
}

/** Stops every program recorded for the current context's cluster: what `cluster down` does first. */
export async function stopProgramsOf(kc: KubeConfig, log: (line: string) => void): Promise<void> {
  const dir = programsDir(kc);
  for (const p of await runningPrograms(dir)) {
    await stopProgram(dir, p);
    log(`stopped ${p.lesson} / ${p.terminal} (pid ${p.pid})`);
  }
}

/** The last lines a program printed, for `lesson status` and the site. */
export async function logTail(p: RunningProgram, lines = 15): Promise<string> {
  const text = await readFile(p.log, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
