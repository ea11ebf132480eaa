/** Numeric helpers shared by aggregations and functions over time. */

/** A compensated (Kahan–Neumaier) running sum; mutate in place to avoid allocating. */
export interface KahanSum {
  sum: number;
  c: number;
}

export function kahanAdd(k: KahanSum, inc: number): void {
  const t = k.sum + inc;
  if (t === Infinity || t === -Infinity) k.c = 0;
  else if (Math.abs(k.sum) >= Math.abs(inc)) k.c += k.sum - t + inc;
  else k.c += inc - t + k.sum;
  k.sum = t;
}

/** Ascending, NaN first (Prometheus' vectorByValueHeap order). */
export function compareNaNFirst(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : -1;
  if (b !== b) return 1;
  return a - b;
}

/**
 * The q-quantile of `values` (sorted in place) with linear interpolation between closest ranks,
 * as Prometheus' quantile(): -Inf below 0, +Inf above 1, NaN for NaN or no values.
 */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(compareNaNFirst);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}
