// Builds k8s-patterns/postgres:15 for real, unpacks it, and checks what the lessons rely on: the
// programs their manifests and probes name, the libraries those link, the start script, the same
// settings as the kind image's Dockerfile, and — in a chroot of the unpacked image, as its user —
// the start script making a server that clients reach over TCP with either image's variables.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { freePort } from '../real-node/programs.ts';
import { retry } from './retry.ts';
import { POSTGRES_IMAGE } from '../kind.ts';
import { fullImageName } from './oci-archive.ts';
import { POSTGRES_CONFIG, postgresImage, START_SCRIPT } from './postgres-image.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const has = (command: string) => $.sync({ quiet: true, nothrow: true })`command -v ${command}`.exitCode === 0;
// The packages are fetched, not installed: apt and dpkg-deb are all it takes of Debian.
const canBuild = process.platform === 'linux' && ['apt-get', 'dpkg-deb', 'busybox', 'tar'].every(has);
const isRoot = process.getuid?.() === 0;

interface Config { config: typeof POSTGRES_CONFIG; rootfs: { diff_ids: string[] } }

describe.skipIf(!canBuild)('the PostgreSQL image', () => {
  let work: string;
  let rootfs: string;
  let config: Config;
  let annotations: Record<string, string>;
  /** Every path in the layer, with its mode string and owner as tar lists them. */
  let paths: Map<string, { mode: string; owner: string }>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'postgres-image-test-'));
    const archive = join(work, 'postgres.tar');
    await (await postgresImage()).build(archive);
    const layout = join(work, 'layout');
    rootfs = join(work, 'rootfs');
    await mkdir(layout);
    await mkdir(rootfs);
    await $({ quiet: true })`tar -xf ${archive} -C ${layout}`;
    const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    annotations = index.manifests[0].annotations;
    const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8'));
    config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8'));
    const layer = blob(manifest.layers[0].digest);
    await $({ quiet: true })`tar -xzf ${layer} -C ${rootfs}`;
    const listing = (await $({ quiet: true })`tar -tvzf ${layer} --numeric-owner`).stdout.trim().split('\n');
    paths = new Map(listing.map((line) => {
      const [mode, owner, , , , name] = line.split(/\s+/);
      return [name.replace(/\/$/, ''), { mode, owner }];
    }));
  }, 120_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is named and configured as the manifests expect', () => {
    expect(annotations['io.containerd.image.name']).toBe(fullImageName(POSTGRES_IMAGE));
    expect(config.config).toEqual(POSTGRES_CONFIG);
    expect(config.config.User).toBe('70:70');
  });

  it('holds the server, its clients, the start script and a shell, root-owned and readable by all', async () => {
    for (const program of ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready']) {
      expect(paths.get(`${BIN.slice(1)}/${program}`)?.mode, program).toBe('-rwxr-xr-x');
    }
    expect(paths.get('usr/local/bin/start-postgres')?.mode).toBe('-rwxr-xr-x');
    expect(await readFile(join(rootfs, 'usr', 'local', 'bin', 'start-postgres'), 'utf8')).toBe(await readFile(START_SCRIPT, 'utf8'));
    for (const path of ['bin/busybox', 'bin/sh', 'usr/lib/postgresql/15/lib/plpgsql.so', 'usr/share/postgresql/15/postgres.bki', 'usr/share/zoneinfo/Etc/UTC']) {
      expect(paths.has(path), path).toBe(true);
    }
    // What every program and module links is there, at the path the loader looks for it: the
    // image's own loader, told to search the image's library folders first, finds each inside.
    const loader = join(rootfs, 'lib64', 'ld-linux-x86-64.so.2');
    const libraryPath = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'].map((dir) => join(rootfs, dir)).join(':');
    for (const file of [`${BIN}/postgres`, `${BIN}/psql`, `${BIN}/pg_isready`, '/usr/lib/postgresql/15/lib/pgcrypto.so']) {
      const listed = (await $({ quiet: true })`${loader} --library-path ${libraryPath} --list ${join(rootfs, file)}`).stdout;
      for (const lib of listed.matchAll(/=> (\/\S+)/g)) expect(lib[1].startsWith(`${rootfs}/`), `${file} needs ${lib[1]}`).toBe(true);
    }
    // Left out on purpose: the JIT (it links LLVM) and what only building extensions needs.
    expect([...paths.keys()].filter((path) => /llvmjit|\/pgxs\/|\/man\//.test(path))).toEqual([]);
    for (const dir of ['tmp', 'var/run/postgresql', 'var/lib/postgresql/data', 'var/lib/pgsql/data']) expect(paths.get(dir)?.mode, dir).toBe('drwxrwxrwt');
    for (const [path, { mode, owner }] of paths) {
      expect(owner, path).toBe('0/0');
      if (!mode.startsWith('l')) expect(mode[7], `${path} ${mode}`).toBe('r');
    }
    expect(await readFile(join(rootfs, 'etc', 'passwd'), 'utf8')).toMatch(/^postgres:x:70:70:/m);
  });

  it('sets what the kind image (postgres/Dockerfile) sets, from the same start script', async () => {
    const text = await readFile(join(import.meta.dirname, 'postgres', 'Dockerfile'), 'utf8');
    const lines = text.split('\n').filter((line) => /^[A-Z]+ /.test(line));
    const instructions = (name: string) => lines.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1));
    expect(instructions('FROM')).toEqual(['debian:bookworm-slim']);
    expect(instructions('COPY')).toEqual(['start-postgres.sh /usr/local/bin/start-postgres']);
    expect(instructions('ENV')).toEqual(POSTGRES_CONFIG.Env);
    expect(instructions('USER')).toEqual([POSTGRES_CONFIG.User]);
    expect(instructions('ENTRYPOINT').map((line) => JSON.parse(line))).toEqual([POSTGRES_CONFIG.Entrypoint]);
    expect(instructions('EXPOSE').map((port) => `${port}/tcp`)).toEqual(Object.keys(POSTGRES_CONFIG.ExposedPorts!));
    expect(instructions('STOPSIGNAL')).toEqual([POSTGRES_CONFIG.StopSignal]);
    // The RUN instructions with their continuation lines.
    const run = text.replace(/\\\n/g, ' ');
    expect(run).toMatch(/--uid 70 --gid 70/);
    expect(run).toMatch(/apt-get install -y --no-install-recommends postgresql-15/);
    expect(run).toMatch(/chmod 1777 \/var\/run\/postgresql \/var\/lib\/postgresql\/data \/var\/lib\/pgsql\/data/);
  });

  // The start script for real: the image's own files, its user, its PATH, and nothing of this
  // machine but the kernel (and a few device files a container runtime would provide).
  describe.skipIf(!isRoot)('started in a chroot of the unpacked image, as user 70', () => {
    const chroot = $.sync({ quiet: true, nothrow: true })`command -v chroot`.stdout.trim();

    beforeAll(async () => {
      const dev = join(rootfs, 'dev');
      await mkdir(join(dev, 'shm'), { recursive: true });
      await chmod(join(dev, 'shm'), 0o1777); // POSIX shared memory
      for (const [name, minor] of [['null', 3], ['zero', 5], ['random', 8], ['urandom', 9]] as const) {
        await $({ quiet: true })`mknod -m 666 ${join(dev, name)} c 1 ${minor}`;
      }
    });

    /** Runs the image's entrypoint with these variables; resolves once TCP clients can log in. */
    async function start(env: Record<string, string>, login: pg.ClientConfig) {
      const port = await freePort();
      let output = '';
      const server = spawn(chroot, ['--userspec=70:70', rootfs, ...POSTGRES_CONFIG.Entrypoint!], {
        env: { PATH: POSTGRES_CONFIG.Env![0].slice('PATH='.length), PGPORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout!.on('data', (chunk) => { output += chunk; });
      server.stderr!.on('data', (chunk) => { output += chunk; });
      const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
      const connect = async (config: pg.ClientConfig = login) => {
        const client = new pg.Client({ host: '127.0.0.1', port, ...config });
        await client.connect();
        try {
          return (await client.query('SELECT current_user AS user, current_database() AS database')).rows[0] as { user: string; database: string };
        } finally {
          await client.end();
        }
      };
      const ready = await retry(() => connect(), 30_000).catch((error: Error) => {
        server.kill('SIGKILL');
        throw new Error(`${error.message}\n${output}`);
      });
      /** Stops it as the kubelet would, with the image's stop signal. */
      const stop = async () => {
        server.kill(POSTGRES_CONFIG.StopSignal as NodeJS.Signals);
        return exited;
      };
      return { port, ready, connect, stop, output: () => output };
    }

    /** A command in the image as the image's user, like a probe or `kubectl exec`. */
    const inImage = (command: string, env: Record<string, string>) =>
      $({ quiet: true, nothrow: true, env: { PATH: POSTGRES_CONFIG.Env![0].slice('PATH='.length), ...env } })`${chroot} --userspec=70:70 ${rootfs} /bin/sh -c ${command}`;

    it("with sclorg's variables (lesson 12): the user owns its database, the probe passes, a restart keeps both", async () => {
      const env = { POSTGRESQL_USER: 'inventory-user', POSTGRESQL_PASSWORD: `it's "secret"`, POSTGRESQL_ADMIN_PASSWORD: 'admin-pw', POSTGRESQL_DATABASE: 'inventory' };
      const login = { user: env.POSTGRESQL_USER, password: env.POSTGRESQL_PASSWORD, database: env.POSTGRESQL_DATABASE };
      let server = await start(env, login);
      expect(server.ready).toEqual({ user: 'inventory-user', database: 'inventory' });
      expect(server.output()).toMatch(/start-postgres: created user inventory-user and database inventory/);
      expect(await server.connect({ user: 'postgres', password: 'admin-pw', database: 'postgres' })).toEqual({ user: 'postgres', database: 'postgres' });
      // TCP always needs the right password, even from 127.0.0.1.
      await expect(server.connect({ ...login, password: 'wrong' })).rejects.toThrow(/password authentication failed/);
      // Clowder's probe (local.ts), with $(VAR) expanded as the kubelet does: the socket, no password.
      const probe = await inImage(`psql -U "$POSTGRESQL_USER" -d "$POSTGRESQL_DATABASE" -c 'SELECT 1'`, { PGPORT: String(server.port), POSTGRESQL_USER: login.user, POSTGRESQL_DATABASE: login.database });
      expect(probe.exitCode, probe.stderr).toBe(0);
      const owner = await inImage(`psql -U postgres -d postgres -Atc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'inventory'"`, { PGPORT: String(server.port) });
      expect(owner.stdout).toBe('inventory-user\n');
      expect(existsSync(join(rootfs, 'var', 'lib', 'pgsql', 'data', 'userdata', 'PG_VERSION'))).toBe(true);
      expect((await stat(join(rootfs, 'var', 'lib', 'pgsql', 'data', 'userdata'))).uid).toBe(70);
      expect(await server.stop()).toBe(0);

      server = await start(env, login);
      expect(server.output()).toMatch(/holds a cluster already/);
      expect(await server.stop()).toBe(0);
    }, 90_000);

    it("with the official image's variables and PGDATA (lesson 11): the superuser and its database", async () => {
      const env = { POSTGRES_USER: 'workshop', POSTGRES_PASSWORD: 'workshop-admin', PGDATA: '/var/lib/postgresql/data/pgdata' };
      const server = await start(env, { user: 'workshop', password: 'workshop-admin', database: 'postgres' });
      expect(server.ready).toEqual({ user: 'workshop', database: 'postgres' });
      // POSTGRES_DB defaults to the user's name, as in the official image.
      expect(await server.connect({ user: 'workshop', password: 'workshop-admin', database: 'workshop' })).toEqual({ user: 'workshop', database: 'workshop' });
      // Lesson 11's readiness probe and check.
      const ready = await inImage(`pg_isready -U workshop -h 127.0.0.1`, { PGPORT: String(server.port) });
      expect(ready.stdout).toMatch(/accepting connections/);
      const superuser = await inImage(`psql -U workshop -d postgres -Atc "SELECT rolsuper FROM pg_roles WHERE rolname = 'workshop'"`, { PGPORT: String(server.port) });
      expect(superuser.stdout).toBe('t\n');
      expect(existsSync(join(rootfs, 'var', 'lib', 'postgresql', 'data', 'pgdata', 'PG_VERSION'))).toBe(true);
      expect(await server.stop()).toBe(0);
    }, 90_000);

    it('refuses to make a cluster nobody could log in to', async () => {
      const result = await inImage('exec start-postgres', { PGDATA: '/tmp/never' });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/POSTGRES_PASSWORD is not set/);
      expect(existsSync(join(rootfs, 'tmp', 'never'))).toBe(false);
    });
  });
});
