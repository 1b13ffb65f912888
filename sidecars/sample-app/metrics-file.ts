// The app's own metrics: request counts written to a file as one JSON object.
// This is deliberately NOT the Prometheus format. It stands for the many programs (legacy apps,
// databases, vendor software) whose monitoring output we cannot change; the adapter sidecar
// translates it, so the monitoring system sees one format from every pod.
import type { Logger } from '../shared/log.ts';
import { writeFileAtomic } from '../shared/atomic-write.ts';

/** What the file holds. The metrics adapter reads exactly this shape. */
export interface MetricsSnapshot {
  app: string;
  version: string;
  pod: string;
  startedAt: string;
  writtenAt: string;
  uptimeSeconds: number;
  /** Requests answered so far: route → HTTP status → count, e.g. { "/info": { "200": 3 } }. */
  requests: Record<string, Record<string, number>>;
}

export interface RequestCounts {
  add(route: string, status: number): void;
  snapshot(): MetricsSnapshot['requests'];
}

export function createRequestCounts(): RequestCounts {
  const requests: MetricsSnapshot['requests'] = {};
  return {
    add(route, status) {
      const byStatus = (requests[route] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    },
    // A deep copy, so a snapshot being written is not changed by requests arriving meanwhile.
    snapshot: () => structuredClone(requests),
  };
}

/**
 * Writes snapshot() to file now and then every intervalSeconds; stop() writes a last one.
 * A failed write is logged and retried at the next interval: metrics must never take the app down.
 */
export function startMetricsWriter(file: string, intervalSeconds: number, snapshot: () => MetricsSnapshot, log: Logger) {
  const write = () =>
    writeFileAtomic(file, `${JSON.stringify(snapshot())}\n`).catch((error: unknown) =>
      log.warn('could not write metrics file', { file, error }),
    );
  let pending = write();
  // Each write waits for the one before, so two writes never race to rename over the same file.
  const timer = setInterval(() => (pending = pending.then(write)), intervalSeconds * 1000);
  return {
    stop: async () => {
      clearInterval(timer);
      await pending.then(write);
    },
  };
}
