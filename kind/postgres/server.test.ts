// The workshop's PostgreSQL server on its own: created in a temporary directory, stopped and
// started again with its data, then removed. No cluster involved.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { adminUrl, down, readState, runningPid, stop, up } from './server.ts';

const dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-pg-unit-'));
afterAll(() => down(dir));

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL server', () => {
  it('starts on 127.0.0.1 with a password login, keeps its data across a stop, and is removed by down', async () => {
    const state = await up(dir);
    expect(adminUrl(state)).toMatch(/^postgresql:\/\/workshop:[0-9a-f]{24}@127\.0\.0\.1:\d+\/postgres$/);
    await query(adminUrl(state), 'create table kept (id int)');
    // A wrong password is refused: the server really checks logins.
    await expect(query(adminUrl({ ...state, password: 'wrong' }), 'select 1')).rejects.toThrow(/password authentication failed/);

    const pid = await runningPid(state);
    expect(pid).toBeGreaterThan(0);
    expect(await up(dir)).toEqual(state); // already running: left alone
    expect(await runningPid(state)).toBe(pid);

    await stop(state);
    expect(await runningPid(state)).toBeUndefined();
    await expect(query(adminUrl(state), 'select 1')).rejects.toThrow(/ECONNREFUSED/);

    await up(dir); // same data directory, same port, same password
    expect(await query(adminUrl(state), "select to_regclass('kept') is not null as kept")).toEqual([{ kept: true }]);

    await down(dir);
    expect(await readState(dir)).toBeUndefined();
    expect(existsSync(state.dataDir)).toBe(false);
  });
});
