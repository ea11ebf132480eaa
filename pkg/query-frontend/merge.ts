// Merges range query answers over adjacent or overlapping time ranges (the parts of a split query,
// cached extents and the gaps fetched around them) into the answer a querier gives for a window,
// byte for byte: each series' points in time order, once per timestamp, series in label order
// (Prometheus sorts a range query's matrix) and without those that have no point in the window,
// warnings and infos once each, and with `stats`, the answers' stats merged (mergeQueryStats). Runs
// in a query-frontend worker (merge-worker.ts): its cost grows with the answers.
import { formatTimestamp, goJson, mergeQueryStats } from '../api/prometheus/index.js';
import type { QueryStatsJson } from '../api/prometheus/index.js';
import { scanMatrix } from './matrix-scan.js';

interface SeriesJson {
  metric: Record<string, string>;
  values?: [number, string][];
  histograms?: [number, unknown][];
}

interface MatrixAnswer {
  status: string;
  data: { resultType: string; result: SeriesJson[]; stats?: QueryStatsJson };
  warnings?: string[];
  infos?: string[];
}

/** One series' points as the answers had them: float points in runs of text, histogram points one by one (times in ms, each point already JSON). */
interface MergedSeries {
  metric: Record<string, string>;
  values: PointRuns;
  histograms: { t: number[]; json: string[] };
}

/** The matrices of several answers, merged; render() writes the answer for a window of it. */
export class MergedMatrix {
  readonly #series = new Map<string, MergedSeries>();
  readonly warnings = new Set<string>();
  readonly #infos = new Set<string>();
  readonly #stats: QueryStatsJson[] = [];

  /** Adds answers in time order; a point at a time already held is dropped (it is the same point). Throws a BUG on anything but successful matrices. */
  constructor(bodies: readonly Uint8Array[]) {
    const decoder = new TextDecoder();
    for (const body of bodies) {
      const text = decoder.decode(body);
      const scanned = scanMatrix(text);
      if (scanned !== undefined) {
        this.#addRest(scanned.rest as MatrixAnswer);
        for (const r of scanned.series) {
          const metric = JSON.parse(r.metric) as Record<string, string>;
          this.#seriesOf(metric).values.addText(r.values);
        }
        continue;
      }
      const a = JSON.parse(text) as MatrixAnswer;
      if (a.status !== 'success' || a.data?.resultType !== 'matrix') throw new Error('BUG: merging an answer that is not a successful matrix');
      this.#addRest(a);
      for (const r of a.data.result) {
        const m = this.#seriesOf(r.metric);
        const values: string[] = [];
        for (const [t, v] of r.values ?? []) values.push(pointJson(t, v));
        m.values.addText(values.join(','));
        for (const [t, h] of r.histograms ?? []) append(m.histograms, t, h);
      }
    }
  }

  #addRest(a: Pick<MatrixAnswer, 'warnings' | 'infos'> & { data: { stats?: QueryStatsJson } }): void {
    for (const w of a.warnings ?? []) this.warnings.add(w);
    for (const i of a.infos ?? []) this.#infos.add(i);
    if (a.data.stats !== undefined) this.#stats.push(a.data.stats);
  }

  #seriesOf(metric: Record<string, string>): MergedSeries {
    const key = goJson(metric);
    let m = this.#series.get(key);
    if (m === undefined) {
      m = { metric, values: new PointRuns(), histograms: { t: [], json: [] } };
      this.#series.set(key, m);
    }
    return m;
  }

  /** The answer for the points in [from, to] (ms). */
  render(from = -Infinity, to = Infinity): string {
    const parts: string[] = [];
    const sorted = [...this.#series.entries()].sort((x, y) => compareLabels(x[1].metric, y[1].metric));
    for (const [key, m] of sorted) {
      const values = m.values.within(from, to);
      const histograms = within(m.histograms, from, to);
      if (values.length === 0 && histograms.length === 0) continue;
      let out = `{"metric":${key}`;
      if (values.length > 0) out += `,"values":[${values.join(',')}]`;
      if (histograms.length > 0) out += `,"histograms":[${histograms.join(',')}]`;
      parts.push(out + '}');
    }
    let data = `{"resultType":"matrix","result":[${parts.join(',')}]`;
    if (this.#stats.length > 0) data += `,"stats":${goJson(mergeQueryStats(this.#stats))}`;
    let body = `{"status":"success","data":${data}}`;
    if (this.warnings.size > 0) body += `,"warnings":${goJson([...this.warnings])}`;
    if (this.#infos.size > 0) body += `,"infos":${goJson([...this.#infos])}`;
    return body + '}';
  }
}

/**
 * Float points as runs of JSON text (`[t,"v"],[t,"v"]`), each run one answer's points in time
 * order: merged and rendered without looking at each point, unless a window or an overlap cuts a run.
 */
class PointRuns {
  readonly #runs: { text: string; first: number; last: number }[] = [];

  /** Adds an answer's points (newer than those held, but for any overlap, which is dropped: those are the same points). */
  addText(text: string): void {
    if (text === '') return;
    const held = this.#runs.length === 0 ? -Infinity : this.#runs[this.#runs.length - 1].last;
    const first = pointTime(text, 0);
    const last = pointTime(text, text.lastIndexOf('['));
    if (first > held) {
      this.#runs.push({ text, first, last });
      return;
    }
    const newer = splitPoints(text).filter((p) => p.t > held);
    if (newer.length > 0) this.#runs.push({ text: newer.map((p) => p.json).join(','), first: newer[0].t, last: newer[newer.length - 1].t });
  }

  /** The runs' text for the points in [from, to]. */
  within(from: number, to: number): string[] {
    const out: string[] = [];
    for (const r of this.#runs) {
      if (r.first >= from && r.last <= to) out.push(r.text);
      else if (r.last >= from && r.first <= to) {
        const kept = splitPoints(r.text).filter((p) => p.t >= from && p.t <= to);
        if (kept.length > 0) out.push(kept.map((p) => p.json).join(','));
      }
    }
    return out;
  }
}

/** The time (ms) of the point `[seconds,...` at `open`. */
function pointTime(text: string, open: number): number {
  return Math.round(Number(text.slice(open + 1, text.indexOf(',', open))) * 1000);
}

/** The points of a run (no bracket or comma inside a sample value's string). */
function splitPoints(text: string): { t: number; json: string }[] {
  const out: { t: number; json: string }[] = [];
  for (let open = text.indexOf('['); open >= 0; open = text.indexOf('[', open + 1)) {
    out.push({ t: pointTime(text, open), json: text.slice(open, text.indexOf(']', open) + 1) });
  }
  return out;
}

/** A point written back as the querier wrote it (seconds with up to 3 decimals → ms → Prometheus' format). */
function pointJson(seconds: number, v: unknown): string {
  const t = Math.round(seconds * 1000);
  // Fast path, most points: a whole second and a sample value (formatFloat's digits, signs, NaN, Inf: nothing to escape).
  const ts = t % 1000 === 0 ? String(t / 1000) : formatTimestamp(t);
  return typeof v === 'string' ? '[' + ts + ',"' + v + '"]' : '[' + ts + ',' + goJson(v) + ']';
}

/** Appends a histogram point, unless one at its time is already held. */
function append(points: { t: number[]; json: string[] }, seconds: number, v: unknown): void {
  const t = Math.round(seconds * 1000);
  const n = points.t.length;
  if (n > 0 && t <= points.t[n - 1]) return;
  points.t.push(t);
  points.json.push(pointJson(seconds, v));
}

function within(points: { t: number[]; json: string[] }, from: number, to: number): string[] {
  const n = points.t.length;
  if (n === 0 || (points.t[0] >= from && points.t[n - 1] <= to)) return points.json;
  const out: string[] = [];
  for (let i = 0; i < points.t.length; i++) if (points.t[i] >= from && points.t[i] <= to) out.push(points.json[i]);
  return out;
}

/** Prometheus' labels.Compare over label sets in name order. */
export function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const va = a[ka[i]];
    const vb = b[kb[i]];
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return ka.length - kb.length;
}
