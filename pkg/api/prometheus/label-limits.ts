// The label names and values endpoints under a tenant's cap (Mimir's -querier.max-label-names-limit
// and -querier.max-label-values-limit): the request's `limit` is lowered to the cap, so that no
// ingester or store-gateway returns more, and an answer cut short says so in a warning.

export interface LabelLimit {
  /** The most entries to return; 0 for all. */
  limit: number;
  /** What cut the answer, for the warning. */
  by: string;
}

/** The effective limit of a request: its own `limit`, or the tenant's cap when that is lower. */
export function labelLimit(requested: number, cap: number, capName: string): LabelLimit {
  if (cap > 0 && (requested <= 0 || requested > cap)) return { limit: cap, by: `${capName} is ${cap}` };
  return { limit: Math.max(requested, 0), by: '' };
}

/** What to ask the storage for: one more than the limit, to learn whether the answer was cut. */
export function storageLimit(l: LabelLimit): number {
  return l.limit > 0 ? l.limit + 1 : 0;
}

/** The sorted answer cut to the limit, with Prometheus' warning when it was cut. */
export function cutToLimit(sorted: string[], l: LabelLimit): { values: string[]; warnings: string[] } {
  if (l.limit <= 0 || sorted.length <= l.limit) return { values: sorted, warnings: [] };
  const why = l.by === '' ? '' : ` (${l.by})`;
  return { values: sorted.slice(0, l.limit), warnings: [`results truncated due to limit${why}`] };
}
