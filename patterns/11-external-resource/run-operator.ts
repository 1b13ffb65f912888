// Prepares the PostgresDatabase operator the way `npm run operator -- postgres-database` does:
// the admin URL found and the CRD installed; the caller starts its manager. The CLI is what the
// lesson's step runs in a second terminal.
import { adminUrl, defaultDir, readState } from '../../kind/postgres/server.ts';
import type { KubeClient } from '../../operator/runtime/kube-client.ts';
import { installCrd } from './install-crd.ts';
import { postgresDatabaseOperator } from './operator.ts';

export interface RunOptions {
  client: KubeClient;
  /** The server's admin URL. Default: POSTGRES_URL, else the server `npm run postgres -- up` started. */
  postgresUrl?: string;
  namespace?: string;
  /** Port of /metrics and /healthz on 127.0.0.1; 0 picks a free one. */
  port?: number;
  log?: (line: string) => void;
}

export async function preparePostgresDatabaseOperator(options: RunOptions) {
  const postgresUrl = options.postgresUrl ?? process.env.POSTGRES_URL ?? (await localServerUrl());
  await installCrd(options.client);
  return postgresDatabaseOperator({ ...options, postgresUrl, health: { port: options.port ?? 0 } });
}

async function localServerUrl(): Promise<string> {
  const state = await readState(defaultDir());
  if (!state) throw new Error('no PostgreSQL server known: run `npm run postgres -- up`, or set POSTGRES_URL');
  return adminUrl(state);
}
