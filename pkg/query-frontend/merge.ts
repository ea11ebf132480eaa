// Merges the answers to the parts of a split range query into the answer the whole query gets
// from a querier, byte for byte: each series' points of every part in time order, series in label
// order (Prometheus sorts a range query's matrix), warnings and infos once each, and with
// `stats`, the parts' queryable samples summed. Runs in a frontend worker (merge-worker.ts): its
// cost grows with the answer.
import { formatTimestamp, goJson } from '../api/prometheus/index.js';

interface SeriesJson {
  metric: Record<string, string>;
  values?: [number, string][];
  histograms?: [number, unknown][];
}

interface MatrixAnswer {
  status: string;
  data: { resultType: string; result: SeriesJson[]; stats?: { samples?: { totalQueryableSamples?: number } } };
  warnings?: string[];
  infos?: string[];
}

const decoder = new TextDecoder();

/** The merged body of successful matrix answers, given in time order; throws on anything else (a BUG: only successes are merged). */
export function mergeMatrixBodies(bodies: readonly Uint8Array[]): string {
  const series = new Map<string, { metric: Record<string, string>; values: string[]; histograms: string[] }>();
  const warnings = new Set<string>();
  const infos = new Set<string>();
  let samples: number | undefined;
  for (const body of bodies) {
    const a = JSON.parse(decoder.decode(body)) as MatrixAnswer;
    if (a.status !== 'success' || a.data?.resultType !== 'matrix') throw new Error('BUG: merging an answer that is not a successful matrix');
    for (const w of a.warnings ?? []) warnings.add(w);
    for (const i of a.infos ?? []) infos.add(i);
    const s = a.data.stats?.samples?.totalQueryableSamples;
    if (s !== undefined) samples = (samples ?? 0) + s;
    for (const r of a.data.result) {
      const key = goJson(r.metric);
      let m = series.get(key);
      if (m === undefined) {
        m = { metric: r.metric, values: [], histograms: [] };
        series.set(key, m);
      }
      for (const [t, v] of r.values ?? []) m.values.push(`[${seconds(t)},${goJson(v)}]`);
      for (const [t, h] of r.histograms ?? []) m.histograms.push(`[${seconds(t)},${goJson(h)}]`);
    }
  }
  const sorted = [...series.entries()].sort((x, y) => compareLabels(x[1].metric, y[1].metric));
  const parts = sorted.map(([key, m]) => {
    let out = `{"metric":${key}`;
    if (m.values.length > 0 || m.histograms.length === 0) out += `,"values":[${m.values.join(',')}]`;
    if (m.histograms.length > 0) out += `,"histograms":[${m.histograms.join(',')}]`;
    return out + '}';
  });
  let data = `{"resultType":"matrix","result":[${parts.join(',')}]`;
  if (samples !== undefined) data += `,"stats":{"samples":{"totalQueryableSamples":${samples}}}`;
  let body = `{"status":"success","data":${data}}`;
  if (warnings.size > 0) body += `,"warnings":${goJson([...warnings])}`;
  if (infos.size > 0) body += `,"infos":${goJson([...infos])}`;
  return body + '}';
}

/** A timestamp as the querier wrote it (seconds with up to 3 decimals): back to ms, then Prometheus' format. */
function seconds(t: number): string {
  return formatTimestamp(Math.round(t * 1000));
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
