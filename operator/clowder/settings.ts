// The operator's own configuration: what an environment does not say. Images of the local
// providers follow Clowder's precedence (§14): a field on the ClowdEnvironment, else the
// operator's config file, else the defaults below, which are the images Clowder pins.
//
// The config file has the shape of Clowder's clowder_config.json (its `images` and `settings`
// keys); Clowder ignores keys it does not know, and so do we. The database images are the kit's
// addition (`images.postgres`, `images.postgresCyndi`, by major version): Clowder pins them in its
// code, and neither its config nor the ClowdEnvironment can change them.
import { readFileSync } from 'node:fs';

export interface Settings {
  /** Where the operator runs: MinIO's NetworkPolicy lets this namespace in (§14.3). */
  operatorNamespace: string;
  /** The annotation (value "true") by which a Secret or ConfigMap opts in to restarting its pods (§7.2). */
  recycleAnnotation: string;
  images: {
    /** PostgreSQL by major version; images must follow the sclorg conventions (POSTGRESQL_* env, /var/lib/pgsql/data). */
    postgres: Record<number, string>;
    /** The same for apps with `cyndi.enabled` (Clowder's variants made for cyndi's inventory copy). */
    postgresCyndi: Record<number, string>;
    redis: string;
    minio: string;
    /** The TLS sidecar (§5.3). */
    caddyProxy: string;
    /** featureFlags `local` (§14.5): the Unleash server and its Edge proxy. */
    unleash: string;
    unleashEdge: string;
  };
  /** Clowder's feature switches that this kit follows (`features` in clowder_config.json). */
  features: {
    /** Kafka `operator`: a NodePort listener for clients outside the cluster (§15.3). */
    enableExternalStrimzi: boolean;
    /** Kafka `operator`: Strimzi's topic operator runs without finalizers on KafkaTopics (§15.3). */
    disableStrimziFinalizer: boolean;
  };
}

export const DEFAULT_SETTINGS: Settings = {
  // In a pod the Downward API tells us (POD_NAMESPACE); out of the cluster, Clowder's usual home.
  operatorNamespace: process.env.POD_NAMESPACE || 'clowder-system',
  recycleAnnotation: 'qontract.recycle',
  images: {
    postgres: {
      12: 'quay.io/cloudservices/postgresql-rds:12-2318dee',
      13: 'quay.io/cloudservices/postgresql-rds:13-2318dee',
      14: 'quay.io/cloudservices/postgresql-rds:14-2318dee',
      15: 'quay.io/cloudservices/postgresql-rds:15-2318dee',
      16: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds:d44b8d1',
    },
    postgresCyndi: {
      12: 'quay.io/cloudservices/postgresql-rds:cyndi-12-2318dee',
      13: 'quay.io/cloudservices/postgresql-rds:cyndi-13-2318dee',
      14: 'quay.io/cloudservices/postgresql-rds:cyndi-14-2318dee',
      15: 'quay.io/cloudservices/postgresql-rds:cyndi-15-2318dee',
      16: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds-cyndi:d44b8d1',
    },
    // Red Hat's registry: pulling needs a Red Hat login (see workshop-config.json).
    redis: 'registry.redhat.io/rhel10/valkey-8:10.0',
    minio: 'minio/minio:RELEASE.2020-11-19T23-48-16Z-amd64',
    caddyProxy: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/caddy-ubi:094d8a9',
    unleash: 'unleashorg/unleash-server:5.6.9',
    unleashEdge: 'unleashorg/unleash-edge:v19.6.3',
  },
  features: { enableExternalStrimzi: false, disableStrimziFinalizer: false },
};

/** The workshop's config: images that every cluster (kind, the real node) pulls without credentials. */
export const WORKSHOP_CONFIG = new URL('./workshop-config.json', import.meta.url);

/** The part of clowder_config.json we read, plus the kit's database images. */
interface ConfigFile {
  images?: {
    inMemoryDB?: string;
    objectStoreMinio?: string;
    caddy?: string;
    caddyProxy?: string;
    featureFlagsUnleash?: string;
    featureFlagsUnleashEdge?: string;
    postgres?: Record<string, string>;
    postgresCyndi?: Record<string, string>;
  };
  settings?: { restarterAnnotation?: string };
  features?: { enableExternalStrimzi?: boolean; disableStrimziFinalizer?: boolean };
}

/** Settings from a config file over `base`; a field the file leaves out or empty keeps base's value, as in Clowder. */
export function readConfig(file: string | URL, base: Settings = DEFAULT_SETTINGS): Settings {
  let config: ConfigFile;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as ConfigFile;
  } catch (error) {
    throw new Error(`cannot read the operator's config ${file}: ${(error as Error).message}`);
  }
  const { images = {}, settings = {}, features = {} } = config;
  return {
    ...base,
    recycleAnnotation: settings.restarterAnnotation || base.recycleAnnotation,
    images: {
      postgres: { ...base.images.postgres, ...images.postgres },
      postgresCyndi: { ...base.images.postgresCyndi, ...images.postgresCyndi },
      redis: images.inMemoryDB || base.images.redis,
      minio: images.objectStoreMinio || base.images.minio,
      // Clowder reads caddyProxy only when caddy (its gateway's image) is set too.
      caddyProxy: (images.caddy && images.caddyProxy) || base.images.caddyProxy,
      unleash: images.featureFlagsUnleash || base.images.unleash,
      unleashEdge: images.featureFlagsUnleashEdge || base.images.unleashEdge,
    },
    features: {
      enableExternalStrimzi: features.enableExternalStrimzi ?? base.features.enableExternalStrimzi,
      disableStrimziFinalizer: features.disableStrimziFinalizer ?? base.features.disableStrimziFinalizer,
    },
  };
}

/**
 * These settings with other images for the local database, from `<version>=<image>` pairs (the
 * CLI's --postgres-image): the ClowdEnvironment has no field for them, in Clowder as here, so an
 * environment whose nodes cannot pull Clowder's defaults (the workshop's real node) sets them on
 * the operator.
 */
export function withPostgresImages(pairs: string[], base: Settings = DEFAULT_SETTINGS): Settings {
  const postgres = { ...base.images.postgres };
  for (const pair of pairs) {
    const match = /^(\d+)=(\S+)$/.exec(pair);
    if (!match) throw new Error(`a PostgreSQL image is given as <version>=<image>, e.g. 15=k8s-patterns/postgres:15, not "${pair}"`);
    postgres[Number(match[1])] = match[2];
  }
  return { ...base, images: { ...base.images, postgres } };
}
