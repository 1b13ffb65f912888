/** The value below which a fraction q (0..1) of the samples fall, by the nearest-rank method. */
export function percentile(samples: number[], q: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (samples: number[]) => percentile(samples, 0.5);

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/**
 * Makes `count` changes one after the other and times each, from the start of `change(i)` until the
 * promise it returns settles: `change` writes to the cluster, then waits until it sees the effect.
 */
export async function timeChanges(count: number, change: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 1; i <= count; i++) {
    const start = performance.now();
    await change(i);
    latencies.push(performance.now() - start);
    if (i % 25 === 0) console.error(`${i}/${count} changes, p50 so far ${round(percentile(latencies, 0.5))} ms`);
  }
  return latencies;
}

/** The figures a latency benchmark reports: `<name>_p50_ms`, `<name>_p99_ms`, `<name>_max_ms`. */
export function latencyFigures(name: string, latencies: number[]): Record<string, number> {
  return {
    [`${name}_p50_ms`]: round(percentile(latencies, 0.5)),
    [`${name}_p99_ms`]: round(percentile(latencies, 0.99)),
    [`${name}_max_ms`]: round(Math.max(...latencies)),
  };
}
