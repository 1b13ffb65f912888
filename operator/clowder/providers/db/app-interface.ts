// Database, mode `app-interface` (§6.9): databases provisioned outside the cluster (Amazon RDS, by Red
// Hat's App Interface), whose credentials arrive as Secrets in the app's namespace. The operator
// creates nothing; it finds the app's Secret and writes what it holds into the config, with the
// CA bundle that RDS certificates chain to, so that apps can verify the server (sslMode
// verify-full).
//
// Which Secret is the app's: one annotated `clowder/database: <app>`, else the first (by name)
// whose `db.host` starts with `<database.name>-` followed by one more dash-free segment (RDS host
// names look like `<name>-prod.xxxx.rds.amazonaws.com`; a `-readonly` replica never matches).
// An app with `sharedDbAppName` gets the other app's database, found the same way in that app's
// namespace.
//
// Owned resources: none.
import type { V1Secret } from '@kubernetes/client-node';
import type { DatabaseConfig } from '../../client/app-config.ts';
import type { ClowdEnvironment } from '../../api.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';

/** Clowder's default: Amazon's combined bundle of RDS certificate authorities. */
const DEFAULT_CA_BUNDLE_URL = 'https://s3.amazonaws.com/rds-downloads/rds-combined-ca-bundle.pem';
const KEYS = ['db.host', 'db.port', 'db.user', 'db.password', 'db.name'];
/** Fetched once per URL and operator process, as in Clowder: the bundle changes about once a year. */
const caBundles = new Map<string, string>();

/**
 * The env half: fetch the CA bundle, so a bad URL fails the env rather than each of its apps, and
 * an app pass normally finds the bundle known already.
 */
export async function envProvide(build: EnvBuild): Promise<void> {
  const failed = await caBundle(build.env).then(() => undefined, (error: Error) => error.message);
  if (failed) build.waits.push(`runprov: database: ${failed}`);
}

/** The env's CA bundle; after a restart an app pass may be the first to ask. */
async function caBundle(env: ClowdEnvironment): Promise<string> {
  const url = env.spec.providers.db?.caBundleURL || DEFAULT_CA_BUNDLE_URL;
  const known = caBundles.get(url);
  if (known) return known;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ProviderError(`Failed to fetch RDS CA bundle: Error fetching CA bundle: ${(error as Error).message}`);
  }
  if (response.status !== 200) throw new ProviderError(`Failed to fetch RDS CA bundle: Bad status code: ${response.status}: `);
  const bundle = await response.text();
  if (!bundle.startsWith('-----BEGIN CERTIFICATE')) throw new ProviderError('Failed to fetch RDS CA bundle: Invalid RDS CA bundle: ');
  caBundles.set(url, bundle);
  return bundle;
}

export async function provide(build: AppBuild): Promise<void> {
  const { app } = build;
  const database = app.spec.database;
  if (!database?.name && !database?.sharedDbAppName) return;

  // The owner of the database: this app, or the one it shares with.
  let owner = app;
  if (database.sharedDbAppName) {
    if (!app.spec.dependencies?.includes(database.sharedDbAppName)) throw new ProviderError(`The requested app's db was not found in the dependencies: `);
    const found = build.lookup.apps().find((a) => a.spec.envName === app.spec.envName && a.metadata?.name === database.sharedDbAppName);
    if (!found) throw new ProviderError('could not get app for db in env');
    owner = found;
  }
  const namespace = owner.metadata!.namespace!;
  const name = owner.metadata!.name!;
  const secrets = build.lookup.secrets(namespace).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));

  let config: DatabaseConfig | undefined;
  const annotated = secrets.find((s) => s.metadata?.annotations?.['clowder/database'] === name);
  if (annotated) {
    config = fromSecret(annotated);
    if (!config) throw new ProviderError('failed to extract annotated secret: Failed to parse DB port: ');
  } else {
    config = secrets.map(fromSecret).find((c) => c && rdsName(c.hostname) === owner.spec.database?.name);
    if (!config) throw new ProviderError(`Missing dependencies: [source: database, details: DB secret matching app '${name}' not found in namespace '${namespace}']`);
  }
  build.config.database = { ...config, rdsCa: await caBundle(build.env) };
}

/** The config in a Secret with all five keys and a numeric port; undefined otherwise. */
function fromSecret(secret: V1Secret): DatabaseConfig | undefined {
  if (!KEYS.every((key) => secret.data?.[key] !== undefined)) return undefined;
  const read = (key: string) => Buffer.from(secret.data![key], 'base64').toString('utf8');
  const port = Number(read('db.port'));
  if (!Number.isInteger(port) || read('db.port') === '') return undefined;
  // RDS gives one master user: it is the admin too.
  return {
    adminPassword: read('db.password'),
    adminUsername: read('db.user'),
    hostname: read('db.host'),
    name: read('db.name'),
    password: read('db.password'),
    port,
    sslMode: 'verify-full',
    username: read('db.user'),
  };
}

/** `orders-prod.abc.rds.amazonaws.com` → `orders`; a read replica (`…-readonly`) → undefined. */
function rdsName(hostname: string): string | undefined {
  const segments = hostname.split('.')[0].split('-');
  if (segments.at(-1) === 'readonly') return undefined;
  return segments.slice(0, -1).join('-');
}
