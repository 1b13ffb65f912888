// From the sample app's own JSON (see ../sample-app/metrics-file.ts) to Prometheus metric
// families. This file is the whole "adapter" idea: knowledge of one app's format lives here, in a
// separate container, and neither the app nor the monitoring system has to change.
import type { MetricsSnapshot } from '../sample-app/metrics-file.ts';
import type { MetricFamily } from './exposition.ts';

/**
 * Checks that text is a metrics snapshot and returns it, or throws saying what is wrong.
 * The file comes from another container; trusting its shape would turn one bad write into a
 * crash or, worse, into numbers that look plausible and are not.
 */
export function parseSnapshot(text: string): MetricsSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const snapshot = data as MetricsSnapshot;
  if (typeof data !== 'object' || data === null) throw new Error('not a JSON object');
  for (const field of ['app', 'version', 'pod'] as const) {
    if (typeof snapshot[field] !== 'string') throw new Error(`"${field}" must be a string`);
  }
  if (typeof snapshot.uptimeSeconds !== 'number') throw new Error('"uptimeSeconds" must be a number');
  if (typeof snapshot.requests !== 'object' || snapshot.requests === null) throw new Error('"requests" must be an object');
  for (const [path, byStatus] of Object.entries(snapshot.requests)) {
    for (const [status, count] of Object.entries(byStatus ?? {})) {
      if (!Number.isInteger(count) || count < 0) throw new Error(`requests["${path}"]["${status}"] must be a count, got ${JSON.stringify(count)}`);
    }
  }
  return snapshot;
}

export function toMetricFamilies(snapshot: MetricsSnapshot): MetricFamily[] {
  const requests = Object.entries(snapshot.requests).flatMap(([path, byStatus]) =>
    Object.entries(byStatus).map(([status, count]) => ({ labels: { path, status }, value: count })),
  );
  return [
    {
      // Counters end in _total and never go down (except when the app restarts, which Prometheus's
      // rate() knows how to handle); that is why the app reports totals and not per-interval counts.
      name: 'sample_app_http_requests_total',
      help: 'HTTP requests answered by the sample app, by route and status code.',
      type: 'counter',
      samples: requests,
    },
    {
      name: 'sample_app_uptime_seconds',
      help: 'Seconds since the sample app started, as of its last metrics write.',
      type: 'gauge',
      samples: [{ value: snapshot.uptimeSeconds }],
    },
    {
      // The "info" idiom: a constant 1 whose labels carry facts, so a query can join on them
      // (for example, request rate by version during a rolling update).
      name: 'sample_app_info',
      help: 'Version and pod of the sample app; the value is always 1.',
      type: 'gauge',
      samples: [{ labels: { version: snapshot.version, pod: snapshot.pod }, value: 1 }],
    },
  ];
}
