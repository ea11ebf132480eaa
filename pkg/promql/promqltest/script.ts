/**
 * Reader for Prometheus' promqltest scripts (`load`, `clear`, `eval …` with expected results and
 * `expect` lines; format in Prometheus promql/promqltest/README.md).
 */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { Labels, LabelsBuilder } from '../../model/labels/index.js';
import { NodeKind, parseDurationMs, parseExpr, parseNumber } from '../parser/index.js';
import { expandHistogramToken } from './histogram-literal.js';

/**
 * Prometheus' StaleNaN as a float64. Kept out of plain arrays: V8 canonicalises NaNs stored in
 * double arrays, which would erase the marker's payload.
 */
export const staleNaN = (() => {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = 2;
  u[1] = 0x7ff00000;
  return f[0];
})();

/** One value of an expanded series: a number, a native histogram, or null for `_` (no sample). */
export type Point = number | FloatHistogram | null | 'stale';

export interface LoadCmd {
  kind: 'load';
  line: number;
  interval: number;
  series: Array<{ labels: Labels; points: Point[] }>;
  /** Series that hold native histogram samples, incl. NHCB conversions (for storages without them). */
  nativeSeries: Labels[];
  /** `load_with_nhcb`: classic histogram series are also loaded as custom-bucket histograms. */
  nhcb: boolean;
}

export interface EvalCmd {
  kind: 'eval';
  line: number;
  query: string;
  instant: boolean;
  start: number;
  end: number;
  step: number;
  fail: boolean;
  failMessage: string | null;
  failRegexp: RegExp | null;
  ordered: boolean;
  /** 'none': must have none, 'some': must have at least one, 'any': not checked. */
  warn: 'none' | 'some' | 'any';
  info: 'none' | 'some' | 'any';
  warnMessages: string[];
  infoMessages: string[];
  /** Expected series (labels + points), or a scalar when `scalar` is set. */
  expected: Array<{ labels: Labels; points: Point[] }>;
  scalar: number | null;
  /** The expectation mentions native histogram literals. */
  histogramLiteral: boolean;
}

export type Command = LoadCmd | { kind: 'clear'; line: number } | EvalCmd;

function durationOrSeconds(s: string): number {
  const d = parseDurationMs(s);
  if (d !== null) return d;
  const n = parseNumber(s);
  if (n === null) throw new Error(`bad time or duration "${s}"`);
  return n * 1000;
}

/** Whitespace-separated tokens; a histogram literal's inner spaces do not separate. */
function tokens(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const c of text) {
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (depth === 0 && /\s/.test(c)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Expands `1+2x3 _ stale _x2 5x2 {{…}}+{{…}}x3` to points. */
export function expandPoints(text: string): { points: Point[]; histograms: boolean } {
  const points: Point[] = [];
  let histograms = false;
  for (const tok of tokens(text)) {
    if (tok.startsWith('{{')) {
      histograms = true;
      points.push(...expandHistogramToken(tok));
    } else if (tok === '_') points.push(null);
    else if (tok === 'stale') points.push('stale');
    else {
      const m = /^(.+?)(?:([+-])([^+-]+))?x(\d+)$/.exec(tok);
      if (m === null) {
        const v = parseNumber(tok);
        if (v === null) throw new Error(`bad value "${tok}"`);
        points.push(v);
        continue;
      }
      const times = Number(m[4]);
      if (m[1] === '_') {
        for (let i = 0; i < times; i++) points.push(null);
        continue;
      }
      const start = parseNumber(m[1]);
      const delta = m[2] === undefined ? 0 : (parseNumber(m[3]) ?? NaN) * (m[2] === '-' ? -1 : 1);
      if (start === null) throw new Error(`bad value "${tok}"`);
      for (let i = 0; i <= times; i++) points.push(start + delta * i);
    }
  }
  return { points, histograms };
}

function parseSeriesLine(line: string): { labels: Labels; rest: string } {
  let i = 0;
  let depth = 0;
  let inStr = false;
  for (; i < line.length; i++) {
    const c = line[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        i++;
        break;
      }
    } else if (depth === 0 && /\s/.test(c)) break;
  }
  const sel = line.slice(0, i);
  if (sel.replace(/\s/g, '') === '{}') return { labels: Labels.EMPTY, rest: line.slice(i) };
  const e = parseExpr(sel);
  if (e.kind !== NodeKind.VectorSelector) throw new Error(`bad series "${sel}"`);
  const pairs: string[] = [];
  for (const m of e.matchers) pairs.push(m.name, m.value);
  return { labels: Labels.fromPairs(pairs), rest: line.slice(i) };
}

export function parseScript(text: string): Command[] {
  const lines = text.split('\n');
  const cmds: Command[] = [];
  let i = 0;
  const block = (): Array<{ text: string; line: number }> => {
    const out: Array<{ text: string; line: number }> = [];
    while (i < lines.length && lines[i].trim() !== '' && (/^\s/.test(lines[i]) || !/^(load|eval|clear)/.test(lines[i]))) {
      const t = lines[i].trim();
      if (!t.startsWith('#')) out.push({ text: t, line: i + 1 });
      i++;
    }
    return out;
  };
  while (i < lines.length) {
    const raw = lines[i];
    const lineNo = i + 1;
    const t = raw.trim();
    i++;
    if (t === '' || t.startsWith('#')) continue;
    if (t === 'clear') {
      cmds.push({ kind: 'clear', line: lineNo });
      continue;
    }
    const load = /^load(?:_with_nhcb)?\s+(\S+)$/.exec(t);
    if (load !== null) {
      const nhcb = t.startsWith('load_with_nhcb');
      const cmd: LoadCmd = { kind: 'load', line: lineNo, interval: durationOrSeconds(load[1]), series: [], nativeSeries: [], nhcb };
      for (const l of block()) {
        const { labels, rest } = parseSeriesLine(l.text);
        const { points, histograms } = expandPoints(rest);
        const name = labels.get('__name__');
        if (histograms) cmd.nativeSeries.push(labels);
        if (nhcb && name.endsWith('_bucket')) {
          const base = new LabelsBuilder(labels).set('__name__', name.slice(0, -'_bucket'.length)).del('le');
          cmd.nativeSeries.push(base.labels());
        }
        // A series defined twice in one load keeps its last definition, as in Prometheus.
        const dup = cmd.series.findIndex((x) => x.labels.equals(labels));
        if (dup >= 0) cmd.series.splice(dup, 1);
        cmd.series.push({ labels, points });
      }
      cmds.push(cmd);
      continue;
    }
    const ev = /^(eval(?:_fail|_warn|_info|_ordered)?)\s+(instant\s+at\s+(\S+)|range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+))\s+(.*)$/.exec(t);
    if (ev === null) throw new Error(`line ${lineNo}: unknown command "${t}"`);
    cmds.push(parseEval(ev, lineNo, block()));
  }
  return cmds;
}

function parseEval(ev: RegExpExecArray, line: number, body: Array<{ text: string; line: number }>): EvalCmd {
  const variant = ev[1];
  const instant = ev[3] !== undefined;
  const cmd: EvalCmd = {
    kind: 'eval',
    line,
    query: ev[7],
    instant,
    start: durationOrSeconds(instant ? ev[3] : ev[4]),
    end: durationOrSeconds(instant ? ev[3] : ev[5]),
    step: instant ? 0 : durationOrSeconds(ev[6]),
    fail: variant === 'eval_fail',
    failMessage: null,
    failRegexp: null,
    ordered: variant === 'eval_ordered',
    warn: variant === 'eval_warn' ? 'some' : variant === 'eval_info' ? 'any' : 'none',
    info: variant === 'eval_info' ? 'some' : variant === 'eval_warn' ? 'any' : 'none',
    warnMessages: [],
    infoMessages: [],
    expected: [],
    scalar: null,
    histogramLiteral: false,
  };
  let sawExpect = false;
  const specified = new Set<string>();
  for (const { text } of body) {
    if (text.startsWith('expected_fail_message ')) {
      cmd.failMessage = text.slice('expected_fail_message '.length);
      continue;
    }
    if (text.startsWith('expected_fail_regexp ')) {
      cmd.failRegexp = new RegExp(text.slice('expected_fail_regexp '.length));
      continue;
    }
    const ex = /^expect\s+(fail|warn|info|no_warn|no_info|ordered)(?:\s+(msg|regex):\s*(.*))?$/.exec(text);
    if (ex !== null) {
      sawExpect = true;
      specified.add(ex[1].replace('no_', ''));
      switch (ex[1]) {
        case 'fail':
          cmd.fail = true;
          if (ex[2] === 'msg') cmd.failMessage = ex[3];
          if (ex[2] === 'regex') cmd.failRegexp = new RegExp(ex[3]);
          break;
        case 'warn':
          cmd.warn = 'some';
          if (ex[2] === 'msg') cmd.warnMessages.push(ex[3]);
          break;
        case 'info':
          cmd.info = 'some';
          if (ex[2] === 'msg') cmd.infoMessages.push(ex[3]);
          break;
        case 'no_warn':
          cmd.warn = 'none';
          break;
        case 'no_info':
          cmd.info = 'none';
          break;
        case 'ordered':
          cmd.ordered = true;
          break;
      }
      continue;
    }
    if (text.includes('{{')) cmd.histogramLiteral = true;
    if (/^[-+]?(\d|\.\d|Inf|NaN|inf|nan)/.test(text) && !text.includes('{')) {
      const v = parseNumber(text.split(/\s+/)[0]);
      if (v !== null) {
        cmd.scalar = v;
        continue;
      }
    }
    const { labels, rest } = parseSeriesLine(text);
    cmd.expected.push({ labels, points: expandPoints(rest).points });
  }
  if (sawExpect) {
    if (!specified.has('warn') && variant === 'eval') cmd.warn = 'any';
    if (!specified.has('info') && variant === 'eval') cmd.info = 'any';
  }
  return cmd;
}
