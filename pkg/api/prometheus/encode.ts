/**
 * Prometheus' HTTP API JSON, byte for byte: sample values as strings in Go's shortest 'f' format
 * (`"NaN"`, `"+Inf"`), timestamps as seconds with up to three decimals (Prometheus'
 * MarshalTimestamp), labels in name order, and Go's HTML-safe string escaping (`<` → `\u003c`).
 * Results are written as strings directly: no intermediate objects per sample.
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { allBuckets } from '../../model/histogram/index.js';
import type { Labels } from '../../model/labels/index.js';
import type { QueryValue } from '../../promql/index.js';
import { formatFloat } from '../../promql/index.js';
import type { SeriesExemplars } from './execute.js';

const htmlUnsafe = /[<>&\u2028\u2029]/g;
const htmlEscapes: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON.stringify with Go encoding/json's escaping of HTML-significant characters. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(htmlUnsafe, (c) => htmlEscapes[c]);
}

/** Milliseconds as Prometheus prints them: `1435781451.781`, `12`, `0.005`, `-1.5` → `-1.500`. */
export function formatTimestamp(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(ms);
  const secs = Math.floor(abs / 1000);
  const frac = abs - secs * 1000;
  let out = (neg ? '-' : '') + String(secs);
  if (frac !== 0) out += '.' + String(frac).padStart(3, '0');
  return out;
}

/** ms as Go's encoding/json prints float64 seconds. */
function jsonSeconds(ms: number): string {
  return JSON.stringify(ms / 1000);
}

function point(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatFloat(v)}"]`;
}

/**
 * A native histogram as Prometheus' API writes it: count, sum and the populated buckets as
 * `[boundaries, lower, upper, count]`, boundaries 0 = (l,u], 1 = [l,u), 2 = (l,u), 3 = [l,u].
 */
export function histogramJson(h: FloatHistogram): string {
  let out = `{"count":"${formatFloat(h.count)}","sum":"${formatFloat(h.sum)}"`;
  const buckets: string[] = [];
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    const boundaries = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : b.upperInclusive ? 0 : 2;
    buckets.push(`[${boundaries},"${formatFloat(b.lower)}","${formatFloat(b.upper)}","${formatFloat(b.count)}"]`);
  }
  if (buckets.length > 0) out += `,"buckets":[${buckets.join(',')}]`;
  return out + '}';
}

function labelsJson(ls: Labels): string {
  let out = '{';
  const p = ls.pairs();
  for (let i = 0; i < p.length; i += 2) {
    if (i > 0) out += ',';
    out += goJson(p[i]) + ':' + goJson(p[i + 1]);
  }
  return out + '}';
}

/** The `data` member of a query response. */
export function encodeData(v: QueryValue): string {
  switch (v.type) {
    // Scalars and strings marshal their time as a plain float (1.5), samples as Prometheus'
    // MarshalTimestamp (1.500).
    case 'scalar':
      return `{"resultType":"scalar","result":[${jsonSeconds(v.scalar.t)},"${formatFloat(v.scalar.v)}"]}`;
    case 'string':
      return `{"resultType":"string","result":[${jsonSeconds(v.t)},${goJson(v.string)}]}`;
    case 'vector': {
      const parts = v.vector.map((s) =>
        s.h === undefined
          ? `{"metric":${labelsJson(s.metric)},"value":${point(s.t, s.f)}}`
          : `{"metric":${labelsJson(s.metric)},"histogram":[${formatTimestamp(s.t)},${histogramJson(s.h)}]}`,
      );
      return `{"resultType":"vector","result":[${parts.join(',')}]}`;
    }
    case 'matrix': {
      const parts: string[] = [];
      for (const s of v.matrix) {
        const pts = new Array<string>(s.ts.length);
        for (let i = 0; i < s.ts.length; i++) pts[i] = point(s.ts[i], s.fs[i]);
        let out = `{"metric":${labelsJson(s.metric)}`;
        if (pts.length > 0 || s.hts === undefined) out += `,"values":[${pts.join(',')}]`;
        if (s.hts !== undefined && s.hs !== undefined && s.hts.length > 0) {
          const hs = s.hts.map((t, i) => `[${formatTimestamp(t)},${histogramJson((s.hs as FloatHistogram[])[i])}]`);
          out += `,"histograms":[${hs.join(',')}]`;
        }
        parts.push(out + '}');
      }
      return `{"resultType":"matrix","result":[${parts.join(',')}]}`;
    }
  }
}

/** query_exemplars' `data`: `[{seriesLabels, exemplars: [{labels, value, timestamp}]}]`, values as strings, times in seconds. */
export function encodeExemplars(found: readonly SeriesExemplars[]): string {
  const series = found.map((s) => {
    const exemplars = s.exemplars.map((e) => `{"labels":${goJson(e.labels.toRecord())},"value":"${formatFloat(e.value)}","timestamp":${formatTimestamp(e.ts)}}`);
    return `{"seriesLabels":${goJson(s.seriesLabels.toRecord())},"exemplars":[${exemplars.join(',')}]}`;
  });
  return `[${series.join(',')}]`;
}
