// The shape of cdappconfig.json: what a ClowdApp's pods read at $ACG_CONFIG. These types follow
// Clowder's JSON Schema (../schema/clowder-appconfig.schema.json); app-config.test.ts checks that
// every required key of the schema is required here too, so the two cannot drift apart quietly.
// The operator writes this shape and apps read it, so both sides share these types.

export interface AppConfig {
  /** Deprecated duplicate of publicPort. */
  webPort?: number;
  publicPort?: number;
  privatePort?: number;
  h2cPublicPort?: number;
  h2cPrivatePort?: number;
  tlsCAPath?: string;
  metricsPort: number;
  metricsPath: string;
  logging: LoggingConfig;
  metadata?: AppMetadata;
  endpoints?: DependencyEndpoint[];
  privateEndpoints?: PrivateDependencyEndpoint[];
  dependencyEndpoints?: DependencyEndpointsV2;
  privateDependencyEndpoints?: DependencyEndpointsV2;
  /** Changes whenever a tracked Secret or ConfigMap changes, so the config (and the pods) roll. */
  hashCache?: string;
  database?: DatabaseConfig;
  inMemoryDb?: InMemoryDBConfig;
  objectStore?: ObjectStoreConfig;
  featureFlags?: FeatureFlagsConfig;
  kafka?: KafkaConfig;
  hostname?: string;
  BOPURL?: string;
  prometheusGateway?: { hostname: string; port: number };
}

export interface LoggingConfig {
  type: string;
  cloudwatch?: { accessKeyId: string; secretAccessKey: string; region: string; logGroup: string };
}

export interface AppMetadata {
  name?: string;
  envName?: string;
  deployments?: { name: string; image: string }[];
}

export interface PrivateDependencyEndpoint {
  name: string;
  app: string;
  hostname: string;
  port: number;
  tlsPort?: number;
  h2cPort?: number;
  h2cTLSPort?: number;
  tlsCAPath?: string;
}

export interface DependencyEndpoint extends PrivateDependencyEndpoint {
  apiPath: string;
  apiPaths?: string[];
}

/** {"v2": {"<app>": {"<dep>", "<dep>_tls", "<dep>_h2c", "<dep>_h2c_tls": {uri, ca_certificate?}}}} */
export interface DependencyEndpointsV2 {
  v2?: Record<string, Record<string, { uri: string; ca_certificate?: string }>>;
}

export interface DatabaseConfig {
  name: string;
  username: string;
  password: string;
  hostname: string;
  port: number;
  adminUsername: string;
  adminPassword: string;
  rdsCa?: string;
  sslMode: string;
}

export interface InMemoryDBConfig {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  sslMode?: boolean;
}

export interface ObjectStoreBucket {
  name: string;
  requestedName: string;
  accessKey?: string;
  secretKey?: string;
  region?: string;
  tls?: boolean;
  endpoint?: string;
}

export interface ObjectStoreConfig {
  buckets?: ObjectStoreBucket[];
  accessKey?: string;
  secretKey?: string;
  hostname: string;
  port: number;
  tls: boolean;
}

export interface FeatureFlagsConfig {
  hostname: string;
  port: number;
  scheme: string;
  clientAccessToken?: string;
}

export interface BrokerConfig {
  hostname: string;
  port?: number;
  cacert?: string;
  authtype?: string;
  sasl?: { username?: string; password?: string; securityProtocol?: string; saslMechanism?: string };
  securityProtocol?: string;
}

export interface KafkaConfig {
  brokers: BrokerConfig[];
  topics: { name: string; requestedName: string }[];
}
