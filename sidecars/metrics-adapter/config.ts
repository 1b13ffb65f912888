// metrics-adapter's settings, all from environment variables (defaults in brackets):
//   METRICS_FILE            the sample app's metrics file, on the volume both containers mount
//   HOST [0.0.0.0]  PORT [9102]  where Prometheus scrapes /metrics (9102: a port commonly used by exporters)
import { type Env, port, required, text } from '../shared/env.ts';

export interface Config {
  metricsFile: string;
  host: string;
  port: number;
}

export function loadConfig(env: Env): Config {
  return {
    metricsFile: required(env, 'METRICS_FILE'),
    host: text(env, 'HOST', '0.0.0.0'),
    port: port(env, 'PORT', 9102),
  };
}
