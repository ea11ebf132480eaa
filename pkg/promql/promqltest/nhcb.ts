/**
 * `load_with_nhcb`: classic histograms (`_bucket{le}`, `_count`, `_sum` series) also loaded as
 * native histograms with custom buckets (schema -53), one per timestamp, as Prometheus'
 * convertnhcb does: `le` bounds become the custom values, cumulative counts become per-bucket
 * counts, the count is `_count` (or the +Inf bucket's).
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { CounterResetHint, CustomBucketsSchema, compact } from '../../model/histogram/index.js';
import type { Labels } from '../../model/labels/index.js';
import { LabelsBuilder, MetricName } from '../../model/labels/index.js';
import type { Point } from './script.js';

interface Parts {
  labels: Labels;
  /** Per timestamp: cumulative bucket counts by bound, count and sum when given. */
  at: Map<number, { buckets: Map<number, number>; count?: number; sum?: number }>;
}

/** The custom-bucket series the classic histograms among `series` convert to. */
export function classicToNhcb(series: ReadonlyArray<{ labels: Labels; points: Point[] }>, interval: number): Array<{ labels: Labels; samples: Array<[number, FloatHistogram]> }> {
  const byBase = new Map<string, Parts>();
  for (const s of series) {
    const name = s.labels.get(MetricName);
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (m === null) continue;
    const le = s.labels.get('le');
    const bound = Number(le === '+Inf' ? Infinity : le);
    if (m[2] === 'bucket' && (le === '' || Number.isNaN(bound))) continue;
    const base = new LabelsBuilder(s.labels).set(MetricName, m[1]).del('le').labels();
    let p = byBase.get(base.key);
    if (p === undefined) {
      p = { labels: base, at: new Map() };
      byBase.set(base.key, p);
    }
    s.points.forEach((v, i) => {
      if (typeof v !== 'number') return;
      const t = i * interval;
      let e = p.at.get(t);
      if (e === undefined) {
        e = { buckets: new Map() };
        p.at.set(t, e);
      }
      if (m[2] === 'bucket') e.buckets.set(bound, v);
      else if (m[2] === 'count') e.count = v;
      else e.sum = v;
    });
  }
  const out: Array<{ labels: Labels; samples: Array<[number, FloatHistogram]> }> = [];
  for (const p of byBase.values()) {
    const samples: Array<[number, FloatHistogram]> = [];
    for (const [t, e] of [...p.at].sort((a, b) => a[0] - b[0])) {
      const h = convert(e.buckets, e.count, e.sum ?? 0);
      if (h !== null) samples.push([t, h]);
    }
    if (samples.length > 0) out.push({ labels: p.labels, samples });
  }
  return out;
}

function convert(cumulative: Map<number, number>, count: number | undefined, sum: number): FloatHistogram | null {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = count ?? (bounds.length > 0 ? (cumulative.get(bounds[bounds.length - 1]) as number) : 0);
  if (bounds.length === 0 || bounds[bounds.length - 1] !== Infinity) {
    bounds.push(Infinity);
    cumulative.set(Infinity, total);
  }
  const buckets: number[] = [];
  let prev = 0;
  for (const b of bounds) {
    const c = cumulative.get(b) as number;
    if (c < prev || c < 0) return null; // Not cumulative: Prometheus refuses to convert it.
    buckets.push(c - prev);
    prev = c;
  }
  if (prev !== total) return null;
  return compact({
    counterResetHint: CounterResetHint.Unknown,
    schema: CustomBucketsSchema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: total,
    sum,
    positiveSpans: [{ offset: 0, length: buckets.length }],
    negativeSpans: [],
    positiveBuckets: buckets,
    negativeBuckets: [],
    customValues: bounds.slice(0, -1),
  });
}
