// ambassador's settings, all from environment variables (defaults in brackets):
//   TARGET_URL                the real backend, e.g. http://orders.shop.svc:8080 (a path is kept as a prefix)
//   LISTEN_HOST [127.0.0.1]   loopback: only containers in the same pod can use the ambassador
//   LISTEN_PORT [9000]        the port the app calls (the sample app's BACKEND_URL default)
//   RETRIES [2]               extra attempts for a GET or HEAD whose connection to the backend fails
import { type Env, httpUrl, port, text, wholeNumber } from '../shared/env.ts';

export interface Config {
  targetUrl: URL;
  host: string;
  port: number;
  retries: number;
}

export function loadConfig(env: Env): Config {
  return {
    targetUrl: httpUrl(env, 'TARGET_URL'),
    host: text(env, 'LISTEN_HOST', '127.0.0.1'),
    port: port(env, 'LISTEN_PORT', 9000),
    retries: wholeNumber(env, 'RETRIES', 2),
  };
}
