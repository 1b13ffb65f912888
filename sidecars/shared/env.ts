// Reading configuration from environment variables, the way a pod spec hands it over (`env:`).
// Every reader either returns a usable value or throws a ConfigError that names the variable and
// what was wrong, so a typo in a manifest ends in one clear log line and a CrashLoopBackOff,
// not in a program that runs with a silently wrong setting.

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

/** The variable's value, or the fallback when it is unset or empty (an empty `value: ""` in YAML). */
export function text(env: Env, name: string, fallback: string): string {
  return env[name] || fallback;
}

/** The variable's value, or undefined when it is unset or empty. */
export function optional(env: Env, name: string): string | undefined {
  return env[name] || undefined;
}

export function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required but not set`);
  return value;
}

/** A TCP port. 0 asks the OS for a free one, which the tests use; the program logs the real port. */
export function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return value;
}

export function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${name} must be a number greater than 0, got "${raw}"`);
  }
  return value;
}

export function wholeNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a whole number (0 or more), got "${raw}"`);
  }
  return value;
}

/** An http: or https: URL; anything else is a config error rather than a failed request later. */
export function httpUrl(env: Env, name: string, fallback?: string): URL {
  const raw = fallback === undefined ? required(env, name) : text(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  return url;
}
