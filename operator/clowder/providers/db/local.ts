// Database, mode `local` (§14.1): a PostgreSQL server per app that asks for one
// (`database.name`), for development environments (built in postgres-server.ts). Its credentials
// are generated once, stored in a Secret, and read back on every later pass: regenerating them
// would lock the app out of its own data. An app may instead use another app's database
// (`database.sharedDbAppName`).
//
// Owned resources (in the app namespace, owned by the app):
// - Secret `<app>-db` (created once; no labels, so pruning never touches it)
// - Deployment `<app>-db`
// - Service `<app>-db`
// - PersistentVolumeClaim `<app>-db` (only with `providers.db.pvc: true`)
import type { V1Secret } from '@kubernetes/client-node';
import { appLabels, ownedBy } from '../../ownership.ts';
import { ALPHANUMERIC, randomString } from '../../random.ts';
import { ProviderError, type AppBuild } from '../provider.ts';
import { claim, deployment, fromSecret, otherAppsDatabase, PORT, service, type PostgresServer } from './postgres-server.ts';

export async function provide(build: AppBuild): Promise<void> {
  const { app } = build;
  const database = app.spec.database;
  if (database?.sharedDbAppName) return otherAppsDatabase(build, database.sharedDbAppName);
  if (!database?.name) return;

  const namespace = app.metadata!.namespace!;
  const name = `${app.metadata!.name}-db`;
  // With cyndi, a pipeline keeps a copy of the host inventory in the app's database; Clowder runs
  // a variant of its image made for that.
  const images = app.spec.cyndi?.enabled ? build.settings.images.postgresCyndi : build.settings.images.postgres;
  const image = images[database.version ?? 12];
  if (!image) throw new ProviderError(`no default image for PostgreSQL version ${database.version}`);

  let secret = build.lookup.secret(namespace, name);
  if (!secret) {
    secret = credentials(build, name, database.name);
    await build.createSecretOnce(secret);
  }
  const config = fromSecret(secret);
  build.config.database = config;

  const pvc = Boolean(build.env.spec.providers.db?.pvc);
  const labels = { ...appLabels(app), service: 'db', sub: 'local_db' };
  const server: PostgresServer = {
    name, namespace, owner: ownedBy(app), labels, selector: { service: 'db', app: appLabels(app).app, sub: 'local_db' }, image,
    credentials: config, database: database.name, volumeSize: pvc ? database.dbVolumeSize ?? '' : undefined,
    resourceSize: database.dbResourceSize ?? '', serviceAccountName: `${app.metadata!.name}-app`,
  };
  build.objects.push(service(server), deployment(server));
  if (pvc) build.objects.push(claim(server, { ...appLabels(app), service: 'db' }));
}

function credentials(build: AppBuild, name: string, dbName: string): V1Secret {
  const namespace = build.app.metadata!.namespace!;
  const hostname = `${name}.${namespace}.svc`;
  const [username, password, pgPass] = [randomString(16, ALPHANUMERIC), randomString(16, ALPHANUMERIC), randomString(16, ALPHANUMERIC)];
  const values: Record<string, string> = {
    hostname, 'db.host': hostname, port: String(PORT), 'db.port': String(PORT),
    username, 'db.user': username, password, 'db.password': password, pgPass, name: dbName, 'db.name': dbName,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ownerReferences: ownedBy(build.app) },
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
