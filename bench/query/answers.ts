// Compares two Prometheus HTTP API answers (query, query_range, series, labels, label values) for
// equality of content: the same series (in any order) with the same timestamps, values within a
// relative 1e-6, and the same names (sorted). Returns '' when equal, else what differs first.

type Metric = Record<string, string>;
interface Sample { metric: Metric; value?: [number, string]; values?: [number, string][] }
/** A Prometheus HTTP API answer, parsed. */
export interface Answer { status: string; error?: string; data: unknown }

const key = (m: Metric): string => JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function closeEnough(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (x === y) return true;
  return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
}

function comparePoints(k: string, a: [number, string][], b: [number, string][]): string {
  if (a.length !== b.length) return `${k}: ${a.length} vs ${b.length} points`;
  for (let i = 0; i < a.length; i++) {
    if (a[i][0] !== b[i][0]) return `${k}: point ${i} at ${a[i][0]} vs ${b[i][0]}`;
    if (!closeEnough(a[i][1], b[i][1])) return `${k} at ${a[i][0]}: ${a[i][1]} vs ${b[i][1]}`;
  }
  return '';
}

function compareVectors(a: Sample[], b: Sample[]): string {
  if (a.length !== b.length) return `${a.length} vs ${b.length} series`;
  const other = new Map(b.map((s) => [key(s.metric), s]));
  for (const s of a) {
    const k = key(s.metric);
    const t = other.get(k);
    if (t === undefined) return `series ${k} missing`;
    const diff = comparePoints(k, s.values ?? (s.value ? [s.value] : []), t.values ?? (t.value ? [t.value] : []));
    if (diff !== '') return diff;
  }
  return '';
}

export function compareAnswers(a: Answer, b: Answer): string {
  if (a.status !== 'success' || b.status !== 'success') return `status ${a.status} (${a.error ?? ''}) vs ${b.status} (${b.error ?? ''})`;
  const x = a.data;
  const y = b.data;
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.every((v) => typeof v === 'string') && y.every((v) => typeof v === 'string')) {
      const [sx, sy] = [[...x].sort(), [...y].sort()];
      const i = sx.findIndex((v, j) => v !== sy[j]);
      return sx.length !== sy.length ? `${sx.length} vs ${sy.length} names` : i >= 0 ? `${sx[i]} vs ${sy[i]}` : '';
    }
    return compareVectors((x as Metric[]).map((metric) => ({ metric })), (y as Metric[]).map((metric) => ({ metric })));
  }
  const rx = x as { resultType: string; result: unknown };
  const ry = y as { resultType: string; result: unknown };
  if (rx.resultType !== ry.resultType) return `resultType ${rx.resultType} vs ${ry.resultType}`;
  if (rx.resultType === 'scalar' || rx.resultType === 'string') {
    return comparePoints('scalar', [rx.result as [number, string]], [ry.result as [number, string]]);
  }
  return compareVectors(rx.result as Sample[], ry.result as Sample[]);
}
