/**
 * A deterministic, dashboard-shaped data set for comparing Myelin's PromQL with Prometheus: request
 * counters (with resets), classic histograms and gauges, scraped every 15s. Every timestamp has a
 * non-zero millisecond part, so no sample lies exactly on a window boundary of queries made at
 * whole seconds: there Prometheus 2 (closed windows) and 3 (left-open windows) agree.
 */
import { Labels } from '../../pkg/model/labels/index.js';
import type { Appendable } from '../../pkg/storage/index.js';

export interface DatasetOptions {
  /** Number of request-counter series (histogram and gauge series scale with it). */
  series: number;
  /** First sample time (ms) and span (ms). */
  start: number;
  span: number;
  scrapeInterval: number;
  seed: number;
}

export interface GeneratedSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const methods = ['GET', 'POST', 'PUT', 'DELETE'];
const statuses = ['200', '404', '500'];
const buckets = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];

export function generate(o: DatasetOptions): GeneratedSeries[] {
  const rand = rng(o.seed);
  const n = Math.floor(o.span / o.scrapeInterval);
  const times = (): Float64Array => {
    const ts = new Float64Array(n);
    for (let i = 0; i < n; i++) ts[i] = o.start + i * o.scrapeInterval + 1 + Math.floor(rand() * 998);
    return ts;
  };
  const out: GeneratedSeries[] = [];
  for (let i = 0; i < o.series; i++) {
    const instance = `host-${i % Math.max(1, Math.floor(o.series / 12))}`;
    const labels = Labels.fromRecord({
      __name__: 'http_requests_total',
      job: `job-${i % 3}`,
      instance,
      method: methods[i % methods.length],
      status: statuses[Math.floor(i / methods.length) % statuses.length],
      shard: String(Math.floor(i / (methods.length * statuses.length))),
    });
    const ts = times();
    const vs = new Float64Array(n);
    let v = Math.floor(rand() * 1000);
    const rate = 1 + rand() * 20;
    for (let k = 0; k < n; k++) {
      if (rand() < 0.002) v = 0;
      v += Math.floor(rand() * rate * 15);
      vs[k] = v;
    }
    out.push({ labels, ts, vs });
  }
  const histograms = Math.max(1, Math.floor(o.series / 20));
  for (let h = 0; h < histograms; h++) {
    const base = { job: `job-${h % 3}`, instance: `host-${h}` };
    const ts = times();
    const counts = buckets.map(() => new Float64Array(n));
    const sum = new Float64Array(n);
    let acc = new Array<number>(buckets.length).fill(0);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const obs = Math.floor(rand() * 50);
      for (let j = 0; j < obs; j++) {
        const x = Math.pow(rand(), 2) * 3;
        total += x;
        for (let b = 0; b < buckets.length; b++) if (b === buckets.length - 1 || x <= Number(buckets[b])) acc[b]++;
      }
      if (rand() < 0.002) {
        acc = acc.map(() => 0);
        total = 0;
      }
      for (let b = 0; b < buckets.length; b++) counts[b][k] = acc[b];
      sum[k] = total;
    }
    buckets.forEach((le, b) =>
      out.push({ labels: Labels.fromRecord({ __name__: 'http_request_duration_seconds_bucket', ...base, le }), ts, vs: counts[b] }),
    );
    out.push({ labels: Labels.fromRecord({ __name__: 'http_request_duration_seconds_sum', ...base }), ts, vs: sum });
    out.push({
      labels: Labels.fromRecord({ __name__: 'http_request_duration_seconds_count', ...base }),
      ts,
      vs: counts[buckets.length - 1],
    });
  }
  const gauges = Math.max(2, Math.floor(o.series / 10));
  for (let g = 0; g < gauges; g++) {
    const ts = times();
    const vs = new Float64Array(n);
    let v = 1e9 * (1 + rand());
    for (let k = 0; k < n; k++) {
      v += (rand() - 0.5) * 1e7;
      vs[k] = v;
    }
    out.push({ labels: Labels.fromRecord({ __name__: 'node_memory_free_bytes', instance: `host-${g}`, job: `job-${g % 3}` }), ts, vs });
  }
  return out;
}

/** OpenMetrics text for `promtool tsdb create-blocks-from openmetrics` (times in seconds). */
export function toOpenMetrics(series: readonly GeneratedSeries[]): string {
  const parts: string[] = [];
  for (const s of series) {
    const name = s.labels.get('__name__');
    const ls: string[] = [];
    s.labels.forEach((k, v) => {
      if (k !== '__name__') ls.push(`${k}=${JSON.stringify(v)}`);
    });
    const prefix = `${name}{${ls.join(',')}} `;
    for (let i = 0; i < s.ts.length; i++) parts.push(`${prefix}${s.vs[i]} ${(s.ts[i] / 1000).toFixed(3)}\n`);
  }
  parts.push('# EOF\n');
  return parts.join('');
}

/** Appends every sample in time order across series (what a head's out-of-bounds rule expects). */
export async function appendAll(db: Appendable, series: readonly GeneratedSeries[]): Promise<void> {
  const n = series.reduce((m, s) => Math.max(m, s.ts.length), 0);
  const refs = new Array<number>(series.length).fill(0);
  for (let k = 0; k < n; k++) {
    const app = db.appender();
    for (let i = 0; i < series.length; i++) {
      const s = series[i];
      if (k < s.ts.length) refs[i] = app.append(refs[i], s.labels, s.ts[k], s.vs[k]);
    }
    await app.commit();
  }
}
