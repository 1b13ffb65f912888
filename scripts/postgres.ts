// npm run postgres -- up        create (first time) and start the server; prints its admin URL
// npm run postgres -- stop      stop it, keeping the data (the "database is down" exercise)
// npm run postgres -- status    running or not, and the URL
// npm run postgres -- psql [database] ...  psql as the admin user, e.g. psql shop -c 'select 1'
// npm run postgres -- down      stop it and remove its data
// The server runs on 127.0.0.1 with its state under the kit's cache directory; see kind/postgres/server.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl, binDir, defaultDir, down, readState, runningPid, stop, up } from '../kind/postgres/server.ts';
import { psql } from '../kind/postgres/psql.ts';

const POSTGRES_DIR = defaultDir();
const log = (line: string) => console.error(`postgres: ${line}`);
const [command, ...rest] = process.argv.slice(2);

try {
  if (command === 'up' || command === 'start') {
    console.log(`POSTGRES_URL=${adminUrl(await up(POSTGRES_DIR, log))}`);
  } else if (command === 'stop') {
    const state = await readState(POSTGRES_DIR);
    if (state) await stop(state, log);
  } else if (command === 'down') {
    await down(POSTGRES_DIR, log);
  } else if (command === 'status') {
    const state = await readState(POSTGRES_DIR);
    const pid = state && (await runningPid(state));
    console.log(!state ? 'not created' : pid ? `running (pid ${pid}) POSTGRES_URL=${adminUrl(state)}` : `stopped; data in ${state.dataDir}`);
  } else if (command === 'psql') {
    const state = await readState(POSTGRES_DIR);
    if (!state) throw new Error('no server yet; run: npm run postgres -- up');
    // A first word that is not an option names the database: `psql shop -c '...'`.
    const database = rest[0] && !rest[0].startsWith('-') ? rest.shift() : undefined;
    const args = [adminUrl(state, database), '-v', 'ON_ERROR_STOP=1', ...rest];
    // The client beside the server binaries, else (npm's PostgreSQL has none) a small stand-in.
    const client = join(binDir(), 'psql');
    process.exitCode = existsSync(client) ? spawnSync(client, args, { stdio: 'inherit' }).status ?? 1 : await psql(args[0], args.slice(1));
  } else {
    throw new Error(`unknown command "${command ?? ''}"; use up, stop, status, psql or down`);
  }
} catch (error) {
  console.error(`postgres: ${(error as Error).message}`);
  process.exitCode = 1;
}
