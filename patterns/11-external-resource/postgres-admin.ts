// Everything the operator does on the PostgreSQL server, in SQL. It connects as the admin user
// given to it, the way a cloud database operator holds one master account.
//
// Every call opens its own connection and closes it again. A long-lived connection would save a
// few milliseconds per reconcile, but it breaks when the server restarts and has to be noticed
// and replaced; a fresh connection per call simply fails while the server is down and works
// again once it is back, which is exactly the behaviour the controller's backoff expects.
import pg from 'pg';

/**
 * Ownership marks. PostgreSQL has no owner references, so we write the PostgresDatabase's UID
 * into the comment of what we create. Without it, two PostgresDatabases naming the same database
 * (in two namespaces, say) would both "own" it, and deleting either would drop the other's data.
 */
const mark = (uid: string) => `managed by k8spatterns.com PostgresDatabase ${uid}`;

export interface Found {
  /** undefined: absent. Otherwise the comment it carries ('' when none). */
  database?: string;
  role?: string;
}

export class PostgresAdmin {
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs = 3_000) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  /** host:port, for messages that say which server did not answer. */
  get server(): string {
    const u = new URL(this.#url);
    return `${u.hostname}:${u.port || 5432}`;
  }

  /** The connection an application gets: same server, its own role and database. */
  applicationUrl(name: string, password: string): string {
    const u = new URL(this.#url);
    u.username = name;
    u.password = password; // the URL setter percent-encodes what needs it
    u.pathname = `/${name}`;
    return u.toString();
  }

  /** Opens a connection (to `database`, or the admin URL's), runs fn, closes it whatever happens. */
  async #session<T>(fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
    // The fields one by one, not a URL with the database in its path: pg undoes only part of
    // the URL's escaping, so a name holding '?', '#' or '%' would reach another database, or none.
    const url = new URL(this.#url);
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: database ?? (decodeURIComponent(url.pathname.slice(1)) || undefined),
      // Short timeouts: a server that does not answer should make this reconcile fail soon and
      // back off, not hold a worker for minutes.
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: 10 * this.#timeoutMs,
    });
    // A connection that breaks later (the server stops) is reported as an 'error' event. With no
    // listener, Node treats it as unhandled and the whole operator process exits.
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** What exists under this name, and whose mark it carries. */
  find(name: string): Promise<Found> {
    return this.#session(async (c) => {
      const { rows } = await c.query<{ kind: string; comment: string | null }>(
        `select 'database' as kind, shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1
         union all
         select 'role', shobj_description(oid, 'pg_authid') from pg_roles where rolname = $1`,
        [name],
      );
      const found: Found = {};
      for (const row of rows) found[row.kind as keyof Found] = row.comment ?? '';
      return found;
    });
  }

  isOurs(comment: string | undefined, uid: string): boolean {
    return comment === mark(uid);
  }

  /** Creates the login role with this password, marked as ours. */
  createRole(name: string, password: string, uid: string): Promise<void> {
    return this.#session(async (c) => {
      // One transaction: the role never exists without its mark. DDL takes no bind parameters,
      // so names and literals are escaped by the driver instead.
      await c.query('begin');
      await c.query(`create role ${c.escapeIdentifier(name)} login password ${c.escapeLiteral(password)}`);
      await c.query(`comment on role ${c.escapeIdentifier(name)} is ${c.escapeLiteral(mark(uid))}`);
      await c.query('commit');
    });
  }

  setPassword(name: string, password: string): Promise<void> {
    return this.#session(async (c) => {
      await c.query(`alter role ${c.escapeIdentifier(name)} password ${c.escapeLiteral(password)}`);
    });
  }

  /** Creates the database, marked as ours. The admin user owns it; the role gets rights below. */
  createDatabase(name: string, uid: string): Promise<void> {
    return this.#session(async (c) => {
      // CREATE DATABASE cannot run inside a transaction, so the mark follows in a second
      // statement. Should that fail, drop the unmarked database again: left behind, it would look
      // like someone else's and block this PostgresDatabase for good.
      await c.query(`create database ${c.escapeIdentifier(name)}`);
      try {
        await c.query(`comment on database ${c.escapeIdentifier(name)} is ${c.escapeLiteral(mark(uid))}`);
      } catch (error) {
        await c.query(`drop database ${c.escapeIdentifier(name)}`).catch(() => {});
        throw error;
      }
    });
  }

  /**
   * Lets the role use its database: connect, and create tables in its public schema. Granting
   * what is already granted changes nothing, so this is safe to repeat.
   */
  async grant(name: string): Promise<void> {
    await this.#session((c) => c.query(`grant connect, temporary on database ${c.escapeIdentifier(name)} to ${c.escapeIdentifier(name)}`));
    // Schema rights live inside the database, so this one is granted over a connection to it.
    await this.#session((c) => c.query(`grant usage, create on schema public to ${c.escapeIdentifier(name)}`), name);
  }

  /** True while the role keeps its CONNECT right on the database; DROP OWNED or a REVOKE takes it away. */
  granted(name: string): Promise<boolean> {
    return this.#session(async (c) => {
      const { rows } = await c.query<{ ok: boolean }>(
        `select has_database_privilege($1::text, $1::text, 'CONNECT') as ok`, [name]);
      return rows[0]?.ok === true;
    });
  }

  /**
   * Drops the database (closing its sessions: WITH (FORCE), PostgreSQL 13+) and then the role.
   * Only what carries our mark: what someone else made is not ours to drop.
   */
  async drop(name: string, uid: string): Promise<void> {
    const found = await this.find(name);
    await this.#session(async (c) => {
      const id = c.escapeIdentifier(name);
      if (this.isOurs(found.database, uid)) await c.query(`drop database ${id} with (force)`);
      if (this.isOurs(found.role, uid)) await c.query(`drop role ${id}`);
    });
  }
}

/**
 * Could we not talk to the server at all? An error with a five-character SQLSTATE came from a
 * server that answered (and refused); anything else (ECONNREFUSED, a timeout, a cut connection)
 * means it did not answer.
 */
export function unreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  // Class 08 (connection exception) and 57P (the server is shutting down or restarting) are
  // SQLSTATEs too, but they mean the same as a refused connection: try again later.
  return code.startsWith('08') || code.startsWith('57P');
}
