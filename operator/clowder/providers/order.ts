// The providers of a ClowdApp reconcile, in the order they run. The order is not arbitrary: later
// providers read what earlier ones built. It is this one array, with the reason for each place,
// rather than priorities scattered over the provider files.
//
// A switchable provider names the environment setting that picks its mode, and one file per mode
// (providers/<provider>/<mode>.ts). An unknown mode fails the reconcile with Clowder's message,
// so a typo in the environment is reported, not silently treated as `none`.
//
// The env reconcile runs the same list: each mode file's env half (`envProvide`), where it has
// one, in this order too. Only the environment's own objects and checks live there (MinIO's
// server, Kafka's cluster, the env's ServiceAccount and its pull secrets).
import type { ClowdEnvironment, ClowdEnvironmentSpec } from '../api.ts';
import * as confighash from './confighash/default.ts';
import * as cronjob from './cronjob/default.ts';
import * as dbAppInterface from './db/app-interface.ts';
import * as dbLocal from './db/local.ts';
import * as dbNone from './db/none.ts';
import * as dbShared from './db/shared.ts';
import * as deployment from './deployment/default.ts';
import * as dependencies from './dependencies/default.ts';
import * as featureflagsAppInterface from './featureflags/app-interface.ts';
import * as featureflagsLocal from './featureflags/local.ts';
import * as featureflagsNone from './featureflags/none.ts';
import * as inmemorydbElasticache from './inmemorydb/elasticache.ts';
import * as inmemorydbNone from './inmemorydb/none.ts';
import * as inmemorydbRedis from './inmemorydb/redis.ts';
import * as kafkaAppInterface from './kafka/app-interface.ts';
import * as kafkaManaged from './kafka/managed.ts';
import * as kafkaNone from './kafka/none.ts';
import * as kafkaOperator from './kafka/operator.ts';
import * as loggingAppInterface from './logging/app-interface.ts';
import * as loggingNone from './logging/none.ts';
import * as metricsAppInterface from './metrics/app-interface.ts';
import * as metricsNone from './metrics/none.ts';
import * as metricsOperator from './metrics/operator.ts';
import * as namespace from './namespace/default.ts';
import * as objectstoreAppInterface from './objectstore/app-interface.ts';
import * as objectstoreMinio from './objectstore/minio.ts';
import * as objectstoreNone from './objectstore/none.ts';
import { ProviderError, type AppBuild, type EnvBuild, type Mode } from './provider.ts';
import * as pullsecrets from './pullsecrets/default.ts';
import * as serviceaccount from './serviceaccount/default.ts';
import * as webNone from './web/none.ts';
import * as webOperator from './web/operator.ts';

interface Entry {
  /** The provider's name, as it appears in error messages (`runapp: <name>: …`). */
  name: string;
  why: string;
  /** Switchable providers: the mode the env asks for, the word used in errors, and one file per mode. */
  mode?: (providers: ClowdEnvironmentSpec['providers']) => string | undefined;
  kind?: string;
  modes: Record<string, Mode>;
}

export const PROVIDERS: readonly Entry[] = [
  {
    name: 'deployment',
    why: 'builds the Deployments and Services that the following providers add ports, volumes and annotations to',
    modes: { default: deployment },
  },
  {
    name: 'cronjob',
    why: 'builds the CronJobs of scheduled jobs; like Deployments, confighash stamps them last',
    modes: { default: cronjob },
  },
  {
    name: 'web',
    why: 'adds the web ports first, because the Service port order starts with them (§5.1)',
    mode: (p) => p.web?.mode,
    kind: 'web',
    modes: { none: webNone, operator: webOperator },
  },
  {
    name: 'metrics',
    why: 'adds the metrics port, which is always the last port (§5.1)',
    mode: (p) => p.metrics?.mode,
    kind: 'metrics',
    modes: { none: metricsNone, operator: metricsOperator, 'app-interface': metricsAppInterface },
  },
  {
    name: 'dependencies',
    why: 'builds endpoints from the deployments above and fails early on a missing dependency',
    modes: { default: dependencies },
  },
  {
    name: 'database',
    why: 'backing services come after the app\'s own objects; a local database adds its own Deployment',
    mode: (p) => p.db?.mode,
    kind: 'db',
    modes: { none: dbNone, local: dbLocal, shared: dbShared, 'app-interface': dbAppInterface },
  },
  {
    name: 'featureflags',
    why: 'a backing service: config only, or in local mode the env\'s Unleash server',
    mode: (p) => p.featureFlags?.mode,
    kind: 'featureflags',
    modes: { none: featureflagsNone, local: featureflagsLocal, 'app-interface': featureflagsAppInterface },
  },
  {
    name: 'inmemorydb',
    why: 'a backing service; its shared mode reads another app, found among the dependencies checked above',
    mode: (p) => p.inMemoryDb.mode,
    kind: 'in-memory db',
    modes: { none: inmemorydbNone, redis: inmemorydbRedis, elasticache: inmemorydbElasticache },
  },
  {
    name: 'logging',
    why: 'adds the logging section, which every config must have',
    mode: (p) => (p.logging.mode === 'null' ? 'none' : p.logging.mode),
    kind: 'logging',
    modes: { none: loggingNone, 'app-interface': loggingAppInterface },
  },
  {
    name: 'objectstore',
    why: 'a backing service; minio creates the app\'s buckets on the env\'s server',
    mode: (p) => p.objectStore.mode,
    kind: 'object store',
    modes: { none: objectstoreNone, 'app-interface': objectstoreAppInterface, minio: objectstoreMinio },
  },
  {
    name: 'kafka',
    why: 'after the other backing services, as in Clowder; managed mode is config only',
    mode: (p) => p.kafka.mode,
    kind: 'kafka',
    modes: { none: kafkaNone, managed: kafkaManaged, operator: kafkaOperator, 'app-interface': kafkaAppInterface },
  },
  {
    name: 'namespace',
    why: 'labels the app namespace so NetworkPolicies can select it (a no-op on current clusters)',
    modes: { default: namespace },
  },
  {
    name: 'serviceaccount',
    why: 'creates the ServiceAccounts the Deployments name in serviceAccountName',
    modes: { default: serviceaccount },
  },
  {
    name: 'pullsecrets',
    why: 'after serviceaccount: it fills imagePullSecrets of the ServiceAccounts built there',
    modes: { default: pullsecrets },
  },
  {
    name: 'confighash',
    why: 'last: it serializes the finished config and stamps its hash on every pod template (§4.9)',
    modes: { default: confighash },
  },
];

/** Runs every provider in order. The first failure stops the pass with `runapp: <provider>: <error>`. */
export async function runProviders(build: AppBuild): Promise<void> {
  for (const entry of PROVIDERS) {
    const mode = modeOf(entry, build.env);
    const file = entry.modes[mode];
    if (!file) throw new ProviderError(`getprov: ${entry.name}: No matching ${entry.kind} mode for ${mode}`);
    try {
      await file.provide(build);
    } catch (error) {
      throw new ProviderError(`runapp: ${entry.name}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/**
 * Runs the env halves of the env's modes, in the same order. A mode we do not implement has none;
 * the app pass reports it. Their errors are the env's own messages, passed on as they are.
 */
export async function runEnvProviders(build: EnvBuild): Promise<void> {
  for (const entry of PROVIDERS) await entry.modes[modeOf(entry, build.env)]?.envProvide?.(build);
}

function modeOf(entry: Entry, env: ClowdEnvironment): string {
  return entry.mode ? entry.mode(env.spec.providers) || 'none' : 'default';
}
