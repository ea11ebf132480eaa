/** Runs promqltest scripts against Myelin's engine over the in-memory storage. */
import type { FloatHistogram } from '../../model/histogram/index.js';
import { compact } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { Engine } from '../engine.js';
import type { Expr, VectorSelector } from '../parser/index.js';
import { NodeKind, parseExpr } from '../parser/index.js';
import type { QueryResult } from '../engine.js';
import type { QueryValue, Series, Vector } from '../value.js';
import { atModifierVariants } from './at-modifier-variants.js';
import type { Queryable } from '../../storage/index.js';
import { histogramText } from './histogram-literal.js';
import { MemoryStorage } from './memory-storage.js';
import { classicToNhcb } from './nhcb.js';
import type { EvalCmd, Point } from './script.js';
import { parseScript, staleNaN } from './script.js';

export const CaseStatus = { Passed: 'passed', Failed: 'failed', Unsupported: 'unsupported' } as const;
export type CaseStatus = (typeof CaseStatus)[keyof typeof CaseStatus];

export interface CaseResult {
  /** `<file>:<line>` of the eval command. */
  id: string;
  status: CaseStatus;
  /** Why it failed (or why unsupported). */
  reason: string;
}

const epsilon = 1e-6;
const minNormal = 2.2250738585072014e-308;

/** Prometheus' almost.Equal with promqltest's epsilon; NaN equals NaN. */
function floatsMatch(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** The storage a script runs against: `load` commands append, `clear` starts over. */
export interface ScriptStorage extends Queryable {
  /** Appends samples in the order given (each series in time order). */
  append(labels: Labels, t: number, v: number): void;
  /** Appends a native histogram sample; absent while the storage has no histograms (cases using them are unsupported). */
  appendHistogram?(labels: Labels, t: number, h: FloatHistogram): void;
  /** Makes everything appended since the last flush queryable. */
  flush(): Promise<void>;
  clear(): Promise<void>;
}

/** What evaluates the scripts' queries: the engine, or the engine behind another layer (the query-frontend's sharding). */
export type ScriptEngine = Pick<Engine, 'instantQuery' | 'rangeQuery'>;

/** The in-memory storage as a ScriptStorage. */
export function memoryScriptStorage(): ScriptStorage {
  const db = new MemoryStorage();
  return {
    querier: (mint, maxt) => db.querier(mint, maxt),
    append: (labels, t, v) => db.append(labels, t, v),
    appendHistogram: (labels, t, h) => db.appendHistogram(labels, t, h),
    flush: () => Promise.resolve(),
    clear: () => {
      db.clear();
      return Promise.resolve();
    },
  };
}

export async function runScript(
  file: string,
  text: string,
  db: ScriptStorage = memoryScriptStorage(),
  engine: ScriptEngine = new Engine({ timeout: 60_000 }),
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let native: Labels[] = [];
  for (const cmd of parseScript(text)) {
    if (cmd.kind === 'clear') {
      await db.clear();
      native = [];
    } else if (cmd.kind === 'load') {
      const appendHistogram = db.appendHistogram?.bind(db);
      for (const s of cmd.series) {
        for (let i = 0; i < s.points.length; i++) {
          const v = s.points[i];
          if (v === null) continue;
          if (typeof v === 'object') appendHistogram?.(s.labels, i * cmd.interval, v);
          else db.append(s.labels, i * cmd.interval, v === 'stale' ? staleNaN : v);
        }
      }
      if (cmd.nhcb && appendHistogram !== undefined) {
        for (const s of classicToNhcb(cmd.series, cmd.interval)) for (const [t, h] of s.samples) appendHistogram(s.labels, t, h);
      }
      await db.flush();
      if (appendHistogram === undefined) native.push(...cmd.nativeSeries);
    } else {
      const id = `${file}:${cmd.line}`;
      const unsupported = db.appendHistogram === undefined ? nativeReason(cmd, native) : null;
      if (unsupported !== null) {
        results.push({ id, status: CaseStatus.Unsupported, reason: unsupported });
        continue;
      }
      const reason = await runEval(engine, db, cmd);
      results.push({ id, status: reason === null ? CaseStatus.Passed : CaseStatus.Failed, reason: reason ?? '' });
    }
  }
  return results;
}

/** A case is unsupported when it expects histogram values or selects a native histogram series. */
function nativeReason(cmd: EvalCmd, native: readonly Labels[]): string | null {
  if (cmd.histogramLiteral) return 'expects native histogram values';
  if (native.length === 0) return null;
  let expr: Expr;
  try {
    expr = parseExpr(cmd.query);
  } catch {
    return null;
  }
  for (const sel of selectors(expr)) {
    const hit = native.find((ls) => sel.matchers.every((m) => m.matches(ls.get(m.name))));
    if (hit !== undefined) return `selects native histogram series ${hit.toString()}`;
  }
  return null;
}

function selectors(e: Expr): VectorSelector[] {
  switch (e.kind) {
    case NodeKind.VectorSelector:
      return [e];
    case NodeKind.MatrixSelector:
      return [e.vector];
    case NodeKind.Subquery:
    case NodeKind.Paren:
    case NodeKind.Unary:
      return selectors(e.expr);
    case NodeKind.Call:
      return e.args.flatMap(selectors);
    case NodeKind.Aggregate:
      return selectors(e.expr);
    case NodeKind.Binary:
      return [...selectors(e.lhs), ...selectors(e.rhs)];
    default:
      return [];
  }
}

async function runEval(engine: ScriptEngine, db: Queryable, cmd: EvalCmd): Promise<string | null> {
  if (!cmd.instant) {
    return check(cmd, () => engine.rangeQuery(db, cmd.query, cmd.start, cmd.end, cmd.step));
  }
  const queries = [{ query: cmd.query, t: cmd.start }, ...atModifierVariants(cmd.query, cmd.start)];
  for (const q of queries) {
    const err = await check(cmd, () => engine.instantQuery(db, q.query, q.t));
    if (err !== null) return q.query === cmd.query ? err : `${q.query} at ${q.t / 1000}s: ${err}`;
    // As Prometheus: no range-mode check for ordered results or for start()/end() (and range()/
    // step()), which resolve differently in a range query.
    if (cmd.fail || cmd.ordered || /(start|end|range|step)\(\)/.test(q.query)) continue;
    const rangeErr = await checkRangeMode(engine, db, cmd, q.query, q.t);
    if (rangeErr !== null) return `${q.query} at ${q.t / 1000}s in range mode: ${rangeErr}`;
  }
  return null;
}

/** Runs one query and checks failure expectations, annotations and the result. */
async function check(cmd: EvalCmd, run: () => Promise<QueryResult>): Promise<string | null> {
  let res: QueryResult;
  try {
    res = await run();
  } catch (err) {
    const msg = (err as Error).message;
    if (!cmd.fail) return `unexpected error: ${msg}`;
    if (cmd.failMessage !== null && msg !== cmd.failMessage) return `error "${msg}", want "${cmd.failMessage}"`;
    if (cmd.failRegexp !== null && !cmd.failRegexp.test(msg)) return `error "${msg}" does not match ${cmd.failRegexp}`;
    return null;
  }
  if (cmd.fail) return 'expected an error, got none';
  const annos =
    checkAnnotations('warning', cmd.warn, cmd.warnMessages, res.warnings) ??
    checkAnnotations('info', cmd.info, cmd.infoMessages, res.infos);
  if (annos !== null) return annos;
  return compareResult(cmd, res.value);
}

/** The instant query, run as a range query around t, must give the same answer at t. */
async function checkRangeMode(engine: ScriptEngine, db: Queryable, cmd: EvalCmd, query: string, t: number): Promise<string | null> {
  let res: QueryResult;
  try {
    res = await engine.rangeQuery(db, query, t - 60_000, t + 60_000, 60_000);
  } catch (err) {
    return `unexpected error: ${(err as Error).message}`;
  }
  if (res.value.type !== 'matrix') return `range query returned ${res.value.type}`;
  const m = res.value.matrix;
  for (let i = 1; i < m.length; i++) {
    if (Labels.compare(m[i - 1].metric, m[i].metric) > 0) return 'matrix is not sorted by labels';
  }
  const vector: Vector = [];
  for (const s of m) {
    const j = s.ts.indexOf(t);
    if (j >= 0) vector.push({ metric: s.metric, t, f: s.fs[j], dropName: false });
    const k = s.hts?.indexOf(t) ?? -1;
    if (k >= 0) vector.push({ metric: s.metric, t, f: 0, dropName: false, h: s.hs?.[k] });
  }
  if (cmd.scalar !== null) {
    if (vector.length === 0) return 'no point at the evaluation time';
    return compareResult(cmd, { type: 'scalar', scalar: { t, v: vector[0].f } });
  }
  return compareResult(cmd, { type: 'vector', vector });
}

function checkAnnotations(kind: string, want: 'none' | 'some' | 'any', msgs: string[], got: string[]): string | null {
  if (want === 'none' && got.length > 0) return `unexpected ${kind}s: ${got.join('; ')}`;
  if (want === 'some' && got.length === 0) return `expected ${kind}s, got none`;
  for (const m of msgs) {
    if (!got.includes(m)) return `missing ${kind} "${m}" in [${got.join('; ')}]`;
  }
  if (msgs.length > 0) {
    const extra = got.find((g) => !msgs.includes(g));
    if (extra !== undefined) return `unexpected ${kind} "${extra}"`;
  }
  return null;
}

function compareResult(cmd: EvalCmd, v: QueryValue): string | null {
  if (v.type === 'scalar') {
    if (cmd.scalar === null) return `got scalar ${v.scalar.v}, want series`;
    return floatsMatch(cmd.scalar, v.scalar.v) ? null : `scalar ${v.scalar.v}, want ${cmd.scalar}`;
  }
  if (v.type === 'string') return 'string results are not compared';
  if (cmd.scalar !== null) return `want scalar ${cmd.scalar}, got ${v.type}`;
  if (v.type === 'vector') {
    if (v.vector.length !== cmd.expected.length) {
      return `got ${v.vector.length} samples, want ${cmd.expected.length}: ${v.vector.map((s) => `${s.metric.toString()} ${sampleText(s)}`).join(', ')}`;
    }
    for (let i = 0; i < cmd.expected.length; i++) {
      const exp = cmd.expected[i];
      const idx = v.vector.findIndex((s) => s.metric.equals(exp.labels));
      if (idx < 0) return `missing ${exp.labels.toString()}; got ${v.vector.map((s) => s.metric.toString()).join(', ')}`;
      if (cmd.ordered && idx !== i) return `${exp.labels.toString()} at position ${idx}, want ${i}`;
      const got = v.vector[idx];
      if (!pointMatches(exp.points[0], got.f, got.h)) return `${exp.labels.toString()} = ${sampleText(got)}, want ${pointText(exp.points[0])}`;
    }
    return null;
  }
  return compareMatrix(cmd, v.matrix);
}

function sampleText(s: { f: number; h?: FloatHistogram }): string {
  return s.h === undefined ? String(s.f) : histogramText(s.h);
}

function pointText(p: Point): string {
  return p !== null && typeof p === 'object' ? histogramText(p) : String(p);
}

/** A float against a float, a histogram against a histogram (after compaction, as Prometheus). */
function pointMatches(want: Point, f: number, h: FloatHistogram | undefined): boolean {
  if (typeof want === 'number') return h === undefined && floatsMatch(want, f);
  if (want === null || want === 'stale' || h === undefined) return false;
  return histogramsMatch(compact(want), compact(h));
}

function histogramsMatch(a: FloatHistogram, b: FloatHistogram): boolean {
  const sameList = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => floatsMatch(v, y[i]));
  const sameSpans = (x: FloatHistogram['positiveSpans'], y: FloatHistogram['positiveSpans']): boolean =>
    x.length === y.length && x.every((s, i) => s.offset === y[i].offset && s.length === y[i].length);
  return (
    a.schema === b.schema &&
    floatsMatch(a.count, b.count) &&
    floatsMatch(a.sum, b.sum) &&
    (a.schema !== -53 || (a.customValues.length === b.customValues.length && a.customValues.every((v, i) => v === b.customValues[i]))) &&
    a.zeroThreshold === b.zeroThreshold &&
    floatsMatch(a.zeroCount, b.zeroCount) &&
    sameSpans(a.positiveSpans, b.positiveSpans) &&
    sameSpans(a.negativeSpans, b.negativeSpans) &&
    sameList(a.positiveBuckets, b.positiveBuckets) &&
    sameList(a.negativeBuckets, b.negativeBuckets)
  );
}

/** A series' points, floats and histograms merged in time order. */
function pointsOf(s: Series): Array<{ t: number; f: number; h?: FloatHistogram }> {
  const out: Array<{ t: number; f: number; h?: FloatHistogram }> = s.ts.map((t, i) => ({ t, f: s.fs[i] }));
  s.hts?.forEach((t, i) => out.push({ t, f: 0, h: s.hs?.[i] }));
  return out.sort((a, b) => a.t - b.t);
}

function compareMatrix(cmd: EvalCmd, m: Series[]): string | null {
  for (let i = 1; i < m.length; i++) {
    if (Labels.compare(m[i - 1].metric, m[i].metric) > 0) return 'matrix is not sorted by labels';
  }
  if (m.length !== cmd.expected.length) {
    return `got ${m.length} series, want ${cmd.expected.length}: ${m.map((s) => s.metric.toString()).join(', ')}`;
  }
  for (const exp of cmd.expected) {
    const s = m.find((x) => x.metric.equals(exp.labels));
    if (s === undefined) return `missing series ${exp.labels.toString()}; got ${m.map((x) => x.metric.toString()).join(', ')}`;
    const err = cmd.instant ? comparePointsInOrder(exp.points, s) : comparePointsOnSteps(cmd, exp.points, s);
    if (err !== null) return `${exp.labels.toString()}: ${err}`;
  }
  return null;
}

function comparePointsInOrder(want: Point[], s: Series): string | null {
  const w = want.filter((p) => p !== null && p !== 'stale');
  const got = pointsOf(s);
  if (w.length !== got.length) return `got ${got.length} points [${got.map(sampleText).join(' ')}], want ${w.length}`;
  for (let i = 0; i < w.length; i++) if (!pointMatches(w[i], got[i].f, got[i].h)) return `point ${i} = ${sampleText(got[i])}, want ${pointText(w[i])}`;
  return null;
}

function comparePointsOnSteps(cmd: EvalCmd, want: Point[], s: Series): string | null {
  const got = new Map<number, { f: number; h?: FloatHistogram }>();
  const all = pointsOf(s);
  for (const p of all) got.set(p.t, p);
  let expectedCount = 0;
  for (let k = 0; k < want.length; k++) {
    const p = want[k];
    if (p === null || p === 'stale') continue;
    expectedCount++;
    const t = cmd.start + k * cmd.step;
    const g = got.get(t);
    if (g === undefined) return `no point at ${t / 1000}s, want ${pointText(p)}`;
    if (!pointMatches(p, g.f, g.h)) return `point at ${t / 1000}s = ${sampleText(g)}, want ${pointText(p)}`;
  }
  if (expectedCount !== all.length) return `got ${all.length} points, want ${expectedCount}: ${all.map((p) => `${p.t / 1000}s=${sampleText(p)}`).join(' ')}`;
  return null;
}
