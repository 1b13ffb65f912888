// Processes the kit starts are recorded in PID files and stopped by those PIDs, never by name.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live processes recorded in a folder of <name>.pid files. */
export async function readPidFiles(dir: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const file of await readdir(dir).catch(() => [] as string[])) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(dir, file), 'utf8')).trim());
    if (pid > 0 && isAlive(pid)) found[file.slice(0, -'.pid'.length)] = pid;
  }
  return found;
}

/** SIGTERM, then SIGKILL for whatever is still alive after 10 s. */
export async function stopPids(pids: Record<string, number>, log: (line: string) => void): Promise<void> {
  for (const pid of Object.values(pids)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  for (const [name, pid] of Object.entries(pids)) {
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) {
      log(`${name} (pid ${pid}) did not stop; killing it`);
      process.kill(pid, 'SIGKILL');
    }
  }
}
