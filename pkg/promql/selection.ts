/**
 * Loads the samples of every selector in a query before evaluation starts, so that evaluation
 * itself is synchronous: one `select` per selector, one pass over each series' iterator, samples
 * kept columnar in typed arrays. Each selector's time range is widened by its lookback or range,
 * offset, `@` and enclosing subqueries, as Prometheus' getTimeRangesForSelector does.
 */
import { BytesPerSample, LimitReason, QueryLimitError, type QueryLimiter } from '../limits/index.js';
import type { FloatHistogram } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';
import type { Querier, Queryable, SampleIterator } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import type { Call, Expr, TimeModifiers, VectorSelector } from './parser/index.js';
import { NodeKind, startOf } from './parser/index.js';
import type { Annotations, Matrix } from './value.js';
import { QueryError, ErrorType } from './value.js';
import type { Grid } from './subquery-grid.js';
import { gridSteps, subqueryGrid } from './subquery-grid.js';
import { WindowWalker } from './window-walk.js';
import { QuerySamples } from './query-samples.js';

export interface LoadedSeries {
  readonly metric: Labels;
  /** Sample timestamps (ms) and values, ascending; views sized to the samples loaded. */
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  /** Native histogram samples, ascending; null when the series has none. */
  readonly hts: number[] | null;
  readonly hs: FloatHistogram[] | null;
}

export interface SelectContext {
  start: number;
  end: number;
  step: number;
  lookbackDelta: number;
  /** Step of subqueries without one (ms). */
  subqueryStep: number;
  maxSamples: number;
  /** The query's budget: decoded samples held count towards its memory estimate. */
  limiter: QueryLimiter | undefined;
  signal: AbortSignal | undefined;
  annotations: Annotations;
  /** Count the samples read per step too (`stats=all`). */
  perStepStats: boolean;
}

export interface Selection {
  readonly series: Map<VectorSelector, LoadedSeries[]>;
  /** Functions over time computed while streaming their series (their samples are not kept), with the samples their windows read. */
  readonly results: Map<Call, { matrix: Matrix; samples: QuerySamples }>;
  /** Samples copied out of storage, and those still held for evaluation (what maxSamples limits). */
  samples: number;
  held: number;
  warnings: string[];
}

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The staleness marker: a NaN with the payload Prometheus reserves (0x7ff0000000000002). */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  scratch[0] = v;
  return scratchBits[0] === 2 && scratchBits[1] === 0x7ff00000;
}

export function resolveAt(m: TimeModifiers, start: number, end: number): number | null {
  if (m.startOrEnd === 'start') return start;
  if (m.startOrEnd === 'end') return end;
  return m.timestamp;
}

interface Need {
  sel: VectorSelector;
  mint: number;
  maxt: number;
  range: number;
  func: string;
  dropStale: boolean;
  /** When steps are wider than the windows, only the windows' samples are loaded. */
  windows: Windows | null;
  /** Set when a function over this matrix selector can run while its series stream by. */
  stream: { call: Call; cols: (Float64Array | null)[] } | null;
  /** The steps the selector is evaluated on. */
  grid: Grid;
}

/** The windows `(ref_i - back, ref_i]` with `ref_i = first + i * step`, i < steps. */
interface Windows {
  first: number;
  step: number;
  steps: number;
  back: number;
}

/**
 * Walks the AST and records, per selector, the samples it needs. `grid` holds the steps the node
 * is evaluated on: the query's, or those of the enclosing subquery.
 */
function collect(e: Expr, grid: Grid, ctx: SelectContext, func: string, out: Need[]): void {
  switch (e.kind) {
    case NodeKind.VectorSelector:
    case NodeKind.MatrixSelector: {
      const sel = e.kind === NodeKind.VectorSelector ? e : e.vector;
      const range = e.kind === NodeKind.MatrixSelector ? e.range : 0;
      const at = resolveAt(sel, ctx.start, ctx.end);
      const a = (at ?? grid.start) - sel.offset;
      const b = (at ?? grid.end) - sel.offset;
      const back = range > 0 ? range : ctx.lookbackDelta;
      const sparse = at === null && grid.step > back;
      const windows = sparse ? { first: a, step: grid.step, steps: gridSteps(grid), back } : null;
      out.push({ sel, mint: a - back, maxt: b, range, func, dropStale: range > 0, windows, stream: null, grid });
      return;
    }
    case NodeKind.Subquery: {
      const at = resolveAt(e, ctx.start, ctx.end);
      collect(e.expr, subqueryGrid(e, grid.start, grid.end, at, ctx.subqueryStep), ctx, '', out);
      return;
    }
    case NodeKind.Call: {
      for (const arg of e.args) collect(arg, grid, ctx, e.func.name, out);
      const stream = streamable(e, grid);
      if (stream !== null) {
        const need = out.find((n) => n.sel === stream.sel) as Need;
        need.stream = { call: e, cols: stream.cols };
      }
      return;
    }
    case NodeKind.Aggregate:
      if (e.param !== null) collect(e.param, grid, ctx, '', out);
      collect(e.expr, grid, ctx, e.op, out);
      return;
    case NodeKind.Binary:
      collect(e.lhs, grid, ctx, '', out);
      collect(e.rhs, grid, ctx, '', out);
      return;
    case NodeKind.Unary:
    case NodeKind.Paren:
      collect(e.expr, grid, ctx, func, out);
      return;
    default:
      return;
  }
}

/**
 * A call whose range argument is a plain matrix selector and whose other arguments are number
 * literals can be computed series by series while loading: it needs no other series.
 */
function streamable(e: Call, grid: Grid): { sel: VectorSelector; cols: (Float64Array | null)[] } | null {
  if (e.func.name === 'absent_over_time') return null;
  let sel: VectorSelector | null = null;
  const cols: (Float64Array | null)[] = [];
  for (const a of e.args) {
    let x = a;
    while (x.kind === NodeKind.Paren) x = x.expr;
    if (x.kind === NodeKind.MatrixSelector && sel === null) {
      sel = x.vector;
      cols.push(null);
    } else if (x.kind === NodeKind.Number) {
      cols.push(new Float64Array(gridSteps(grid)).fill(x.value));
    } else {
      return null;
    }
  }
  return sel === null ? null : { sel, cols };
}

export async function selectAll(expr: Expr, queryable: Queryable, ctx: SelectContext): Promise<Selection> {
  const needs: Need[] = [];
  collect(expr, { start: ctx.start, end: ctx.end, step: ctx.step }, ctx, '', needs);
  const sel: Selection = { series: new Map(), results: new Map(), samples: 0, held: 0, warnings: [] };
  if (needs.length === 0) return sel;
  let mint = Infinity;
  let maxt = -Infinity;
  for (const n of needs) {
    mint = Math.min(mint, n.mint);
    maxt = Math.max(maxt, n.maxt);
  }
  const querier = await queryable.querier(mint, maxt);
  try {
    for (const n of needs) {
      const loaded = await load(querier, n, ctx, sel);
      if (n.stream === null) sel.series.set(n.sel, loaded);
    }
  } finally {
    await querier.close();
  }
  return sel;
}

/** Native histogram samples of the series being read. */
interface HistogramBuffer {
  hts: number[] | null;
  hs: FloatHistogram[] | null;
}

/** Stores the iterator's current sample (unless a staleness marker to drop). */
function keep(it: SampleIterator, vt: ValueType, n: Need, arena: Arena, hb: HistogramBuffer): void {
  if (vt !== ValueType.Float) {
    const h = it.atFloatHistogram();
    if (n.dropStale && isStaleNaN(h.sum)) return;
    (hb.hts ??= []).push(it.atT());
    (hb.hs ??= []).push(h);
    return;
  }
  const v = it.atV();
  if (!(n.dropStale && isStaleNaN(v))) arena.push(it.atT(), v);
}

/** Samples per arena block: large enough to amortise, small enough not to over-allocate. */
const blockSize = 1 << 16;
const firstBlockSize = 1 << 10;

/**
 * Samples go into arena blocks shared by the selector's series: each series is a subarray view (no
 * copy per series). When a block fills, a new one takes over and only the series being read moves;
 * a series longer than a block gets a block of its own.
 */
class Arena {
  // The first block is small and each next one doubles up to blockSize: a selector of a few
  // series (the common dashboard panel) must not allocate and zero a megabyte per query.
  ts: Float64Array = new Float64Array(firstBlockSize);
  vs: Float64Array = new Float64Array(firstBlockSize);
  /** Start of the series being written and the next free slot. */
  start = 0;
  end = 0;

  push(t: number, v: number): void {
    if (this.end === this.ts.length) this.#grow();
    this.ts[this.end] = t;
    this.vs[this.end] = v;
    this.end++;
  }

  /** Forgets everything written: the block is reused (earlier views must no longer be used). */
  reset(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Ends the current series; returns its views. */
  take(): { ts: Float64Array; vs: Float64Array } {
    const out = { ts: this.ts.subarray(this.start, this.end), vs: this.vs.subarray(this.start, this.end) };
    this.start = this.end;
    return out;
  }

  #grow(): void {
    // Earlier series keep their views of the old block.
    const n = this.end - this.start;
    const size = Math.max(Math.min(blockSize, this.ts.length * 2), n * 2);
    const ts = new Float64Array(size);
    const vs = new Float64Array(size);
    ts.set(this.ts.subarray(this.start, this.end));
    vs.set(this.vs.subarray(this.start, this.end));
    this.ts = ts;
    this.vs = vs;
    this.start = 0;
    this.end = n;
  }
}

async function load(querier: Querier, n: Need, ctx: SelectContext, sel: Selection): Promise<LoadedSeries[]> {
  const hints = { start: n.mint, end: n.maxt, step: ctx.step, func: n.func, range: n.range, sortSeries: false };
  const set = querier.select(hints, ...n.sel.matchers);
  const out: LoadedSeries[] = [];
  const arena = new Arena();
  const results: Matrix = [];
  const steps = gridSteps(n.grid);
  const samples = new QuerySamples(n.stream === null ? 0 : steps, ctx.perStepStats);
  const walker =
    n.stream === null
      ? null
      : new WindowWalker(
          n.stream.call.func.name,
          { start: n.grid.start, interval: n.grid.step, steps },
          { at: resolveAt(n.sel, ctx.start, ctx.end), offset: n.sel.offset, range: n.range },
          n.stream.cols,
          ctx.annotations,
          startOf(n.stream.call.args[0]),
          samples,
        );
  let it: SampleIterator | undefined;
  const hb: HistogramBuffer = { hts: null, hs: null };
  while (await set.next()) {
    if (ctx.signal?.aborted === true) throw new QueryError(ErrorType.Canceled, 'query was canceled');
    const series = set.at();
    it = series.iterator(it);
    const w = n.windows;
    let vt = it.seek(n.mint);
    while (vt !== ValueType.None) {
      const t = it.atT();
      if (t > n.maxt) break;
      if (w !== null) {
        // The first window that ends at or after t; jump to its start when t lies before it.
        const i = Math.max(0, Math.ceil((t - w.first) / w.step));
        if (i >= w.steps) break;
        const from = w.first + i * w.step - w.back;
        if (t <= from) {
          vt = it.seek(from + 1);
          continue;
        }
      }
      keep(it, vt, n, arena, hb);
      vt = it.next();
    }
    const err = it.err();
    if (err !== undefined) throw new QueryError(ErrorType.Execution, `read series ${series.labels.toString()}`, { cause: err });
    const { ts, vs } = arena.take();
    const { hts, hs } = hb;
    hb.hts = null;
    hb.hs = null;
    const count = ts.length + (hts?.length ?? 0);
    if (count === 0) continue;
    sel.samples += count;
    if (sel.held + count > ctx.maxSamples) throw QueryLimitError.of(LimitReason.MaxSamples, ctx.maxSamples);
    const bytes = count * BytesPerSample;
    ctx.limiter?.reserveMemory(bytes);
    if (walker !== null) {
      // Streamed: compute the function now and let the arena block be reused for the next series.
      const r = walker.walk(series.labels, false, ts, vs, hts, hs);
      if (r !== null) results.push(r);
      arena.reset();
      ctx.limiter?.releaseMemory(bytes);
      continue;
    }
    sel.held += count;
    out.push({ metric: series.labels, ts, vs, hts, hs });
  }
  if (walker !== null && n.stream !== null) {
    sel.results.set(n.stream.call, { matrix: results, samples });
  }
  const err = set.err();
  // Limits and errors of the request itself (a bad `__query_shard__`) keep their type.
  if (err instanceof QueryLimitError || err instanceof QueryError) throw err;
  if (err !== undefined) throw new QueryError(ErrorType.Execution, `select series: ${err.message}`, { cause: err });
  sel.warnings.push(...set.warnings());
  return out;
}
