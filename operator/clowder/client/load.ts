// What an app needs to read its Clowder config: load the file named by $ACG_CONFIG, then ask
// small questions of it. The operator mounts the config Secret at /cdapp/ and always sets
// ACG_CONFIG (last in the container's env), so an app never hard-codes the path.
import { readFileSync } from 'node:fs';
import type { AppConfig, DatabaseConfig, DependencyEndpoint, PrivateDependencyEndpoint } from './app-config.ts';

/** Reads and parses the config; throws naming the variable when the app runs outside Clowder. */
export function loadConfig(path = process.env.ACG_CONFIG): AppConfig {
  if (!path) throw new Error('ACG_CONFIG is not set: this process is not running under a ClowdApp');
  return JSON.parse(readFileSync(path, 'utf8')) as AppConfig;
}

/** The port the app serves its public API on. */
export function publicPort(config: AppConfig): number | undefined {
  return config.publicPort ?? config.webPort;
}

/**
 * The real topic name for a requested one. With managed Kafka the operator may prefix names, so
 * an app must not use its requested names verbatim.
 */
export function topicName(config: AppConfig, requested: string): string | undefined {
  return config.kafka?.topics.find((t) => t.requestedName === requested)?.name;
}

/** A postgres:// URL for the app's database, or undefined when it has none. */
export function databaseUrl(config: AppConfig): string | undefined {
  const db: DatabaseConfig | undefined = config.database;
  if (!db) return undefined;
  const user = encodeURIComponent(db.username);
  const password = encodeURIComponent(db.password);
  return `postgresql://${user}:${password}@${db.hostname}:${db.port}/${encodeURIComponent(db.name)}?sslmode=${db.sslMode}`;
}

/** Where to reach another app's deployment: `http://host:port`, public side by default. */
export function endpointUrl(config: AppConfig, app: string, deployment: string, side: 'public' | 'private' = 'public'): string | undefined {
  const list: PrivateDependencyEndpoint[] | DependencyEndpoint[] | undefined = side === 'public' ? config.endpoints : config.privateEndpoints;
  const endpoint = list?.find((e) => e.app === app && e.name === deployment);
  return endpoint && endpoint.port > 0 ? `http://${endpoint.hostname}:${endpoint.port}` : undefined;
}
