/** The value below which a fraction q (0..1) of the samples fall, by the nearest-rank method. */
export function percentile(samples: number[], q: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (samples: number[]) => percentile(samples, 0.5);

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
