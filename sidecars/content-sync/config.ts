// content-sync's settings, all from environment variables (defaults in brackets):
//   SOURCE                      a directory (for example a mounted ConfigMap) or an http(s) URL of one file
//   TARGET_DIR                  where to put the copies: the emptyDir the web server also mounts
//   SYNC_INTERVAL_SECONDS [10]  how long to wait between two syncs
import { statSync } from 'node:fs';
import { ConfigError, type Env, positiveNumber, required } from '../shared/env.ts';

export type Source = { kind: 'directory'; path: string } | { kind: 'url'; url: URL };

export interface Config {
  source: Source;
  targetDir: string;
  intervalSeconds: number;
}

export function loadConfig(env: Env): Config {
  return {
    source: parseSource(required(env, 'SOURCE')),
    targetDir: required(env, 'TARGET_DIR'),
    intervalSeconds: positiveNumber(env, 'SYNC_INTERVAL_SECONDS', 10),
  };
}

function parseSource(raw: string): Source {
  if (/^https?:\/\//.test(raw)) return { kind: 'url', url: new URL(raw) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError(`SOURCE must be a directory or an http(s) URL, got "${raw}"`);
  }
  // A missing directory is a mistake in the pod spec (a wrong mountPath), not a passing outage: say so
  // now instead of logging a failed sync every interval. A URL that is down, by contrast, may come back.
  if (!statSync(raw, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(`SOURCE must be a directory or an http(s) URL; "${raw}" is not a directory`);
  }
  return { kind: 'directory', path: raw };
}
