// The sample app's settings, all from environment variables (defaults in brackets):
//   HOST [0.0.0.0]  PORT [8080]   where to listen; 0.0.0.0 so the pod IP (and so a Service) reaches it
//   ACG_CONFIG                    under a ClowdApp: the Clowder config file, whose public port
//                                 replaces the 8080 default (PORT still wins when set)
//   VERSION [dev]                 shown on / and /info, so a rolling update is visible from outside
//   POD_NAME [unknown]            set from the Downward API (fieldRef: metadata.name)
//   CONTENT_DIR                   serve its files under /content/ (the sidecar lesson's shared volume)
//   BACKEND_URL [http://localhost:9000]  what /backend calls: the ambassador in the same pod
//   METRICS_FILE                  write request counts there (the adapter lesson's shared volume)
//   METRICS_INTERVAL_SECONDS [5]  how often the metrics file is rewritten
import { loadConfig as loadClowderConfig, publicPort } from '../../operator/clowder/client/load.ts';
import { type Env, httpUrl, optional, port, positiveNumber, text } from '../shared/env.ts';

export interface Config {
  host: string;
  port: number;
  version: string;
  podName: string;
  contentDir: string | undefined;
  backendUrl: URL;
  metricsFile: string | undefined;
  metricsIntervalSeconds: number;
}

export function loadConfig(env: Env): Config {
  return {
    host: text(env, 'HOST', '0.0.0.0'),
    // A ClowdApp's Service points at the port the environment chose (8000 in the workshop), and
    // the operator tells the app only through cdappconfig.json: read it with the kit's client.
    port: port(env, 'PORT', env.ACG_CONFIG ? publicPort(loadClowderConfig(env.ACG_CONFIG)) ?? 8080 : 8080),
    version: text(env, 'VERSION', 'dev'),
    podName: text(env, 'POD_NAME', 'unknown'),
    contentDir: optional(env, 'CONTENT_DIR'),
    backendUrl: httpUrl(env, 'BACKEND_URL', 'http://localhost:9000'),
    metricsFile: optional(env, 'METRICS_FILE'),
    metricsIntervalSeconds: positiveNumber(env, 'METRICS_INTERVAL_SECONDS', 5),
  };
}
