// The operator's own configuration: what an environment does not say. Images of the local
// providers follow Clowder's precedence (§14): a field on the ClowdEnvironment, else these
// settings, else the defaults below. The defaults are public images that any cluster (kind
// included) can pull without registry credentials.

export interface Settings {
  /** Where the operator runs: MinIO's NetworkPolicy lets this namespace in (§14.3). */
  operatorNamespace: string;
  /** The annotation (value "true") by which a Secret or ConfigMap opts in to restarting its pods (§7.2). */
  recycleAnnotation: string;
  images: {
    /** PostgreSQL by major version; images must follow the sclorg conventions (POSTGRESQL_* env, /var/lib/pgsql/data). */
    postgres: Record<number, string>;
    redis: string;
    minio: string;
  };
}

export const DEFAULT_SETTINGS: Settings = {
  // In a pod the Downward API tells us (POD_NAMESPACE); out of the cluster, Clowder's usual home.
  operatorNamespace: process.env.POD_NAMESPACE || 'clowder-system',
  recycleAnnotation: 'qontract.recycle',
  images: {
    // Clowder's own defaults; quay.io/cloudservices is public.
    postgres: {
      12: 'quay.io/cloudservices/postgresql-rds:12-2318dee',
      13: 'quay.io/cloudservices/postgresql-rds:13-2318dee',
      14: 'quay.io/cloudservices/postgresql-rds:14-2318dee',
      15: 'quay.io/cloudservices/postgresql-rds:15-2318dee',
      16: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds:d44b8d1',
    },
    // Clowder defaults to registry.redhat.io/rhel10/valkey-8, which needs Red Hat credentials;
    // the upstream Valkey image has the same valkey-cli the probe runs.
    redis: 'docker.io/valkey/valkey:8',
    minio: 'minio/minio:RELEASE.2020-11-19T23-48-16Z-amd64',
  },
};

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
