// Splits a querier's successful matrix answer into its series without parsing their points: the
// merge of a split query's parts and cached extents then moves each series' points as one piece of
// text instead of parsing and writing every point again (most of a cached dashboard's cost).
// Only the shape the querier writes (pkg/api/prometheus encodeData) is scanned; anything else
// (histograms, other spacing) is left to JSON.parse by the caller.

export interface ScannedSeries {
  /** The `metric` object's JSON. */
  metric: string;
  /** The points `[t,"v"],[t,"v"]` as written, without the array's brackets; '' for none. */
  values: string;
}

export interface ScannedMatrix {
  series: ScannedSeries[];
  /** The members after `result`, parsed: `data.stats`, `warnings`, `infos`. */
  rest: { data: { stats?: unknown }; warnings?: string[]; infos?: string[] };
}

const head = '{"status":"success","data":{"resultType":"matrix","result":[';
const metricKey = '{"metric":';
const valuesKey = ',"values":[';

/** The series of `s`, or undefined when it is not a float matrix as the querier writes it. */
export function scanMatrix(s: string): ScannedMatrix | undefined {
  if (!s.startsWith(head)) return undefined;
  const series: ScannedSeries[] = [];
  let i = head.length;
  if (s[i] !== ']') {
    for (;;) {
      if (!s.startsWith(metricKey, i)) return undefined;
      i += metricKey.length;
      const end = objectEnd(s, i);
      if (end < 0) return undefined;
      const metric = s.slice(i, end);
      i = end;
      if (!s.startsWith(valuesKey, i)) return undefined;
      i += valuesKey.length;
      // Points hold numbers and value strings (digits, signs, NaN, Inf): no bracket but theirs.
      const close = s[i] === ']' ? i : s.indexOf(']]', i) + 1;
      if (close <= 0) return undefined;
      series.push({ metric, values: s.slice(i, close) });
      i = close + 1;
      if (s[i] !== '}') return undefined;
      i++;
      if (s[i] === ']') break;
      if (s[i] !== ',') return undefined;
      i++;
    }
  }
  try {
    return { series, rest: JSON.parse('{"data":{"result":0' + s.slice(i + 1)) as ScannedMatrix['rest'] };
  } catch {
    return undefined;
  }
}

/** The index after the JSON object starting at `i`, or -1. */
function objectEnd(s: string, i: number): number {
  if (s[i] !== '{') return -1;
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote.
      for (i++; i < s.length && s.charCodeAt(i) !== 0x22; i++) if (s.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i + 1;
  }
  return -1;
}
