// A stand-in for psql where the server binaries have none beside them (npm's PostgreSQL ships
// initdb, pg_ctl and postgres only). It does what the lessons ask of psql and no more: each
// `-c` string is sent as one request (as psql does, so it runs as one transaction); each statement
// prints its rows as psql's aligned table, or, without rows, its command tag (only the first word,
// `DROP` for DROP ROLE: all that the pg client reports). `\l` and `\du` are their catalog queries.
// The first error stops it with exit code 1, like `-v ON_ERROR_STOP=1`.
import pg from 'pg';

const META: Record<string, string> = {
  '\\l': `select datname as "Name", pg_get_userbyid(datdba) as "Owner", pg_encoding_to_char(encoding) as "Encoding"
          from pg_database order by 1`,
  '\\du': `select rolname as "Role name", concat_ws(', ', case when rolsuper then 'Superuser' end,
          case when rolcreaterole then 'Create role' end, case when rolcreatedb then 'Create DB' end,
          case when not rolcanlogin then 'Cannot login' end) as "Attributes" from pg_roles where rolname !~ '^pg_' order by 1`,
};

/** Runs the `-c` strings in `args` against `url`, printing what psql would; returns the exit code. */
export async function psql(url: string, args: string[]): Promise<number> {
  const commands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') commands.push(args[++i]);
    else if (args[i] === '-v') i++; // ON_ERROR_STOP=1 is how this stand-in always behaves
    else throw new Error(`this psql stand-in understands only -c and -v, not "${args[i]}"; install PostgreSQL's client for more`);
  }
  if (!commands.length) {
    throw new Error('this psql stand-in only runs -c strings; for an interactive psql install PostgreSQL\'s client (apt-get install postgresql-client, brew install libpq)');
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const command of commands) {
      const results = await client.query(META[command.trim()] ?? command);
      for (const result of [results].flat()) print(result);
    }
    return 0;
  } catch (error) {
    console.error(`ERROR:  ${(error as Error).message}`);
    return 1;
  } finally {
    await client.end();
  }
}

function print(result: pg.QueryResult): void {
  if (!result.fields.length) {
    console.log(result.command); // e.g. DROP ROLE
    return;
  }
  const names = result.fields.map((f) => f.name);
  const rows = result.rows.map((row) => names.map((n) => String(row[n] ?? '')));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => ` ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')}`.trimEnd();
  console.log(line(names.map((n, i) => n.padStart(Math.floor((widths[i] + n.length) / 2)))));
  console.log(widths.map((w) => '-'.repeat(w + 2)).join('+'));
  for (const row of rows) console.log(line(row));
  console.log(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})\n`);
}
