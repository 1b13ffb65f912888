// In-memory DB, mode `elasticache` (§6.6): the instance is provisioned outside the cluster, and
// its details arrive in the Secret `in-memory-db` of the app's namespace (or of the namespace
// of the app named in `sharedInMemoryDbAppName`). We copy them into the config.
//
// Owned resources: none.
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const { app } = build;
  if (!app.spec.inMemoryDb) return;
  let namespace = app.metadata!.namespace!;
  const other = app.spec.sharedInMemoryDbAppName;
  if (other) {
    if (!app.spec.dependencies?.includes(other)) throw new ProviderError(`The requested app's in memory db was not found in the dependencies: `);
    const owner = build.lookup.apps().find((a) => a.metadata?.name === other && a.spec.envName === app.spec.envName);
    if (!owner) throw new ProviderError('could not get app for in memory db in env: ');
    namespace = owner.metadata!.namespace!;
  }
  const secret = build.lookup.secret(namespace, 'in-memory-db');
  if (!secret) {
    throw new ProviderError(`Missing dependencies: [source: inmemorydb, details: No inmemorydb secret named 'in-memory-db' found in namespace '${namespace}']`);
  }
  const read = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const port = Number.parseInt(read('db.port'), 10);
  if (!Number.isInteger(port)) throw new ProviderError(`strconv.Atoi: parsing "${read('db.port')}": invalid syntax`);
  const password = read('db.auth_token');
  build.config.inMemoryDb = { hostname: read('db.endpoint'), port, sslMode: true, ...(password ? { password } : {}) };
}
