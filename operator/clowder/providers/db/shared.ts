// Database, mode `shared` (§14.4): one PostgreSQL server per major version for the whole
// environment, in its target namespace, with a database on it for each app that asks for one.
// Development environments with many apps save a server per app this way. The env half runs the
// servers (built in postgres-server.ts, with Clowder's cyndi images, which every app can use);
// the app half creates the app's database on its version's server, as that server's admin, and
// gives the app the server's user as the database's owner.
//
// Owned resources:
// - env half, in <tns>, owned by the env, per version some app of the env asks for:
//   Secret `<env>-db-v<version>` (generated once, no labels), Deployment and Service of that name,
//   and with `providers.db.pvc` its PersistentVolumeClaim (the largest dbVolumeSize asked for)
// - app half, in the app namespace, owned by the app: Secret `<app>-db`, the app's credentials
import type { V1Secret } from '@kubernetes/client-node';
import type { ClowdApp, ClowdEnvironment } from '../../api.ts';
import type { DatabaseConfig } from '../../client/app-config.ts';
import { envLabels, ownedBy } from '../../ownership.ts';
import { ALPHANUMERIC, generatedSecret, randomString } from '../../random.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';
import { claim, deployment, fromSecret, otherAppsDatabase, PORT, service, VOLUME_SIZES } from './postgres-server.ts';

/** How long an app pass waits for its server, as Clowder does, before failing and retrying. */
const CONNECT_TIMEOUT_MS = 5000;

const serverName = (env: ClowdEnvironment, version: number) => `${env.metadata!.name}-db-v${version}`;
const versionOf = (app: ClowdApp) => app.spec.database?.version ?? 12;

export async function envProvide(build: EnvBuild): Promise<void> {
  const { env, targetNamespace } = build;
  const asking = build.apps.filter((a) => a.spec.database?.name);
  const versions = [...new Set(asking.map(versionOf))].sort();
  for (const version of versions) {
    const image = build.settings.images.postgresCyndi[version];
    if (!image) throw new ProviderError(`runprov: database: no default image for PostgreSQL version ${version}`);
    const name = serverName(env, version);
    let secret = build.lookup.secret(targetNamespace, name);
    if (!secret) {
      secret = credentials(env, name, targetNamespace);
      await build.createSecretOnce(secret);
    }
    // The claim must hold the largest database any app of this version asks for.
    const sizes = Object.keys(VOLUME_SIZES);
    const largest = Math.max(0, ...asking.filter((a) => versionOf(a) === version).map((a) => sizes.indexOf(a.spec.database?.dbVolumeSize ?? '')));
    const pvc = Boolean(env.spec.providers.db?.pvc);
    const sub = `shared_db_${version}`;
    const server = {
      name, namespace: targetNamespace, owner: ownedBy(env), labels: { ...envLabels(env), service: 'db', sub },
      selector: { service: 'db', app: env.metadata!.name!, sub }, image, credentials: fromSecret(secret),
      database: env.metadata!.name!, volumeSize: pvc ? sizes[largest] : undefined, resourceSize: '',
    };
    build.objects.push(service(server), deployment(server));
    if (pvc) build.objects.push(claim(server, { ...envLabels(env), service: 'db' }));
  }
}

export async function provide(build: AppBuild): Promise<void> {
  const { app, env } = build;
  const database = app.spec.database;
  if (database?.sharedDbAppName) return otherAppsDatabase(build, database.sharedDbAppName);
  if (!database?.name) return;

  const name = serverName(env, versionOf(app));
  const secret = build.lookup.secret(build.targetNamespace, name);
  if (!secret) throw new ProviderError(`secrets "${name}" not found`);
  const config: DatabaseConfig = { ...fromSecret(secret), name: database.name };
  await ensureDatabase(config, env.metadata!.name!);

  // The app's own copy of its credentials, so that apps sharing its database find them (as with
  // mode local); Clowder writes port 5432 here whatever the server's.
  const values = { hostname: config.hostname, port: String(PORT), username: config.username, password: config.password, pgPass: config.adminPassword, name: database.name };
  build.objects.push(generatedSecret(`${app.metadata!.name}-db`, app.metadata!.namespace!, ownedBy(app), values));
  build.config.database = config;
}

/**
 * The app's database on the server, created when missing: connecting to it tells whether it
 * exists; if not, we connect to the server's own database (named after the env) and create it,
 * owned by the server's user, whom every app of the env gets.
 */
async function ensureDatabase(config: DatabaseConfig, serverDatabase: string): Promise<void> {
  // Loaded here, not at the top: only this mode needs a PostgreSQL client, and loading it costs
  // every other operator process a few megabytes.
  const { default: pg } = await import('pg');
  const session = async (database: string, sql?: string) => {
    const client = new pg.Client({
      host: config.hostname, port: config.port, user: config.adminUsername, password: config.adminPassword, database,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // A connection the server ends (a shutdown, a restart) is also an 'error' event, and one with
    // no listener crashes the process. The connect or query under way fails with it too: that
    // failure is the one the pass reports, so the event itself needs no more than a listener.
    client.on('error', () => {});
    try {
      await client.connect();
      if (sql) await client.query(sql);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
  try {
    await session(config.name);
  } catch (error) {
    // 3D000 (invalid_catalog_name): the server is there, the database is not.
    if ((error as { code?: string }).code !== '3D000') throw new ProviderError((error as Error).message);
    await session(serverDatabase, `CREATE DATABASE ${quote(config.name)} WITH OWNER = ${quote(config.username)}`).catch((e: Error) => {
      throw new ProviderError(e.message);
    });
  }
}

/** The server's credentials, generated once; the server's own database is named after the env. */
function credentials(env: ClowdEnvironment, name: string, namespace: string): V1Secret {
  const values = {
    hostname: `${name}.${namespace}.svc`, port: String(PORT), username: randomString(16, ALPHANUMERIC),
    password: randomString(16, ALPHANUMERIC), pgPass: randomString(16, ALPHANUMERIC), name: env.metadata!.name!,
  };
  return generatedSecret(name, namespace, ownedBy(env), values);
}
