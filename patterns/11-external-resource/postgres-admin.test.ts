// PostgresAdmin on its own, against a real PostgreSQL server: names that try SQL injection. The
// CRD lets no such name through (external-resource.test.ts), but the SQL must not depend on that:
// whatever the name, it is one identifier, and it touches nothing else on the server.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER, adminUrl, down, up, type PostgresState } from '../../kind/postgres/server.ts';
import { PostgresAdmin } from './postgres-admin.ts';

let dir: string;
let server: PostgresState;
let admin: PostgresAdmin;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-pg-admin-test-'));
  server = await up(dir);
  admin = new PostgresAdmin(adminUrl(server));
  await sql('create database canary');
});
afterAll(async () => {
  if (dir) await down(dir);
});

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl(server) });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const databases = async () => (await sql<{ datname: string }>('select datname from pg_database where not datistemplate order by 1')).map((r) => r.datname);
const roles = async () => (await sql<{ rolname: string }>("select rolname from pg_roles where rolname !~ '^pg_' order by 1")).map((r) => r.rolname);

describe('PostgresAdmin escapes every name and literal', () => {
  it.each([
    ['a quoted identifier closed early', 'x"; drop database canary; --'],
    ['a string literal closed early', "o'brien'); drop role workshop; --"],
    ['a comment and a second statement', 'shop; drop database canary'],
    ["characters a connection URL would mangle", 'a?b#c%d/e'],
  ])('%s: %s', async (_what, name) => {
    const before = { databases: await databases(), roles: await roles() };
    const uid = 'c0ffee';
    const password = "it's\\'; drop role workshop; --";
    await admin.createRole(name, password, uid);
    await admin.createDatabase(name, uid);
    await admin.grant(name);

    // Exactly one new database and one new role, both carrying that very name and our mark.
    expect(await databases()).toEqual([...before.databases, name].sort());
    expect(await roles()).toEqual([...before.roles, name].sort());
    const found = await admin.find(name);
    expect([admin.isOurs(found.database, uid), admin.isOurs(found.role, uid)]).toEqual([true, true]);
    expect(await admin.granted(name)).toBe(true);

    // The password is the literal string: the role logs in with it, into its database, and may create a table.
    const login = new pg.Client({ host: '127.0.0.1', port: server.port, user: name, password, database: name });
    await login.connect();
    try {
      await login.query('create table t (id int)');
    } finally {
      await login.end();
    }

    await admin.drop(name, uid);
    expect({ databases: await databases(), roles: await roles() }).toEqual(before);
    expect(before.databases).toContain('canary');
    expect(before.roles).toContain(ADMIN_USER);
  });
});
