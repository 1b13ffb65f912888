// What a controller reports about itself, in the Prometheus text format. Three questions matter
// when an operator misbehaves: is it doing work (reconcile totals), is the work failing (errors),
// and is it keeping up (reconcile duration, queue depth). The format is plain text, so a dozen
// lines here replace a client library.

/** Upper bounds of the duration histogram, in seconds: from a cache-only no-op to a slow API. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type ReconcileResult = 'success' | 'requeue' | 'error';

interface Histogram {
  counts: number[]; // per bucket, not cumulative; rendering adds them up
  sum: number;
  count: number;
}

export class Metrics {
  readonly #totals = new Map<string, number>(); // "controller\0result" → count
  readonly #durations = new Map<string, Histogram>(); // controller → histogram
  readonly #gauges = new Map<string, () => number>(); // rendered line prefix → current value

  observeReconcile(controller: string, result: ReconcileResult, seconds: number): void {
    const key = `${controller}\0${result}`;
    this.#totals.set(key, (this.#totals.get(key) ?? 0) + 1);
    let histogram = this.#durations.get(controller);
    if (!histogram) this.#durations.set(controller, (histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    const bucket = BUCKETS.findIndex((le) => seconds <= le);
    if (bucket >= 0) histogram.counts[bucket]++;
    histogram.sum += seconds;
    histogram.count++;
  }

  /** A value read when /metrics is scraped, such as the queue depth. */
  gauge(name: string, labels: Record<string, string>, read: () => number): void {
    this.#gauges.set(`${name}${formatLabels(labels)}`, read);
  }

  total(controller: string, result: ReconcileResult): number {
    return this.#totals.get(`${controller}\0${result}`) ?? 0;
  }

  render(): string {
    const lines = ['# TYPE controller_reconcile_total counter'];
    for (const [key, value] of this.#totals) {
      const [controller, result] = key.split('\0');
      lines.push(`controller_reconcile_total${formatLabels({ controller, result })} ${value}`);
    }
    lines.push('# TYPE controller_reconcile_errors_total counter');
    for (const controller of this.#durations.keys()) {
      lines.push(`controller_reconcile_errors_total${formatLabels({ controller })} ${this.total(controller, 'error')}`);
    }
    lines.push('# TYPE controller_reconcile_duration_seconds histogram');
    for (const [controller, h] of this.#durations) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += h.counts[i];
        lines.push(`controller_reconcile_duration_seconds_bucket${formatLabels({ controller, le: String(le) })} ${cumulative}`);
      });
      lines.push(`controller_reconcile_duration_seconds_bucket${formatLabels({ controller, le: '+Inf' })} ${h.count}`);
      lines.push(`controller_reconcile_duration_seconds_sum${formatLabels({ controller })} ${h.sum}`);
      lines.push(`controller_reconcile_duration_seconds_count${formatLabels({ controller })} ${h.count}`);
    }
    const gaugeNames = new Set([...this.#gauges.keys()].map((k) => k.split('{')[0]));
    for (const name of gaugeNames) {
      lines.push(`# TYPE ${name} gauge`);
      for (const [series, read] of this.#gauges) if (series.split('{')[0] === name) lines.push(`${series} ${read()}`);
    }
    return lines.join('\n') + '\n';
  }
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}
