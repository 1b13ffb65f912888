// A vitest global setup: for the length of the test run, `npm run postgres` and the lessons that
// use it (external-resource) work in a directory of their own. Two test runs on one machine then
// never share a server, and the workshop's own server in the cache is left alone. The variable is
// set before vitest starts its workers, so they inherit it. Teardown stops the server by its PID
// (if a lesson left it running) and removes the directory.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down } from '../kind/postgres/server.ts';

export default async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-postgres-run-'));
  process.env.WORKSHOP_POSTGRES_DIR = dir;
  return () => down(dir);
}
