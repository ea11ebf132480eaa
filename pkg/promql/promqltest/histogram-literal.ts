/**
 * promqltest's native histogram notation: `{{schema:0 sum:5 count:4 buckets:[1 2 1] offset:1
 * n_buckets:[…] n_offset:0 z_bucket:1 z_bucket_w:0.5 counter_reset_hint:gauge custom_values:[…]}}`
 * with absolute bucket counts (one span per side), and the series forms `{{a}}xN`,
 * `{{a}}+{{b}}xN`, `{{a}}-{{b}}xN`.
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { CounterResetHint, add, emptyFloatHistogram, sub } from '../../model/histogram/index.js';
import { parseNumber } from '../parser/index.js';

const hints: Record<string, CounterResetHint> = {
  unknown: CounterResetHint.Unknown,
  reset: CounterResetHint.CounterReset,
  not_reset: CounterResetHint.NotCounterReset,
  gauge: CounterResetHint.Gauge,
};

function num(key: string, s: string): number {
  const v = parseNumber(s);
  if (v === null) throw new Error(`histogram ${key}: bad number "${s}"`);
  return v;
}

/** The histogram of one `{{…}}` literal (text between the double braces). */
export function parseHistogram(body: string): FloatHistogram {
  const h = emptyFloatHistogram();
  let offset = 0;
  let nOffset = 0;
  const seen = new Set<string>();
  const re = /([a-z_]+):\s*(\[[^\]]*\]|\S+)/g;
  let rest = body;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    const [, key, raw] = m;
    rest = rest.replace(m[0], '');
    if (seen.has(key)) throw new Error(`duplicate key "${key}" in histogram`);
    seen.add(key);
    const list = (): number[] => raw.slice(1, -1).trim().split(/\s+/).filter((x) => x !== '').map((x) => num(key, x));
    switch (key) {
      case 'schema':
        h.schema = num(key, raw);
        break;
      case 'sum':
        h.sum = num(key, raw);
        break;
      case 'count':
        h.count = num(key, raw);
        break;
      case 'z_bucket':
        h.zeroCount = num(key, raw);
        break;
      case 'z_bucket_w':
        h.zeroThreshold = num(key, raw);
        break;
      case 'offset':
        offset = num(key, raw);
        break;
      case 'n_offset':
        nOffset = num(key, raw);
        break;
      case 'buckets':
        h.positiveBuckets = list();
        break;
      case 'n_buckets':
        h.negativeBuckets = list();
        break;
      case 'custom_values':
        h.customValues = list();
        break;
      case 'counter_reset_hint': {
        const hint = hints[raw];
        if (hint === undefined) throw new Error(`histogram counter_reset_hint: unknown value "${raw}"`);
        h.counterResetHint = hint;
        break;
      }
      default:
        throw new Error(`unknown histogram key "${key}"`);
    }
  }
  if (rest.trim() !== '') throw new Error(`bad histogram "{{${body}}}"`);
  if (h.positiveBuckets.length > 0) h.positiveSpans = [{ offset, length: h.positiveBuckets.length }];
  if (h.negativeBuckets.length > 0) h.negativeSpans = [{ offset: nOffset, length: h.negativeBuckets.length }];
  return h;
}

/** Expands one histogram series token (`{{a}}`, `{{a}}xN`, `{{a}}+{{b}}xN`) to its values. */
export function expandHistogramToken(tok: string): FloatHistogram[] {
  const m = /^\{\{([^}]*)\}\}(?:([+-])\{\{([^}]*)\}\})?(?:x(\d+))?$/.exec(tok);
  if (m === null) throw new Error(`bad histogram series "${tok}"`);
  const base = parseHistogram(m[1]);
  if (m[4] === undefined) {
    if (m[2] !== undefined) throw new Error(`histogram series "${tok}" needs a repeat count`);
    return [base];
  }
  const times = Number(m[4]);
  const out = [base];
  if (m[2] === undefined) {
    for (let i = 0; i < times; i++) out.push(base);
    return out;
  }
  const inc = parseHistogram(m[3]);
  let cur = base;
  for (let i = 0; i < times; i++) {
    if (cur.schema > inc.schema) throw new Error(`error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`);
    cur = m[2] === '+' ? add(cur, inc) : sub(cur, inc);
    out.push(cur);
  }
  return out;
}

/** Prometheus' TestExpression form of a histogram, for failure messages. */
export function histogramText(h: FloatHistogram): string {
  const parts = [`schema:${h.schema}`, `count:${h.count}`, `sum:${h.sum}`];
  if (h.zeroCount !== 0) parts.push(`z_bucket:${h.zeroCount}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${h.zeroThreshold}`);
  if (h.customValues.length > 0) parts.push(`custom_values:[${h.customValues.join(' ')}]`);
  const spans = (ss: FloatHistogram['positiveSpans']): string => ss.map((s) => `${s.offset}:${s.length}`).join(',');
  if (h.positiveBuckets.length > 0) parts.push(`spans:[${spans(h.positiveSpans)}] buckets:[${h.positiveBuckets.join(' ')}]`);
  if (h.negativeBuckets.length > 0) parts.push(`n_spans:[${spans(h.negativeSpans)}] n_buckets:[${h.negativeBuckets.join(' ')}]`);
  if (h.counterResetHint !== CounterResetHint.Unknown) parts.push(`counter_reset_hint:${Object.keys(hints)[h.counterResetHint]}`);
  return `{{${parts.join(' ')}}}`;
}
