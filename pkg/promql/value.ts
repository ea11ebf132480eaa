/** Values the engine computes and returns (Prometheus promql/value.go). */
import type { FloatHistogram } from '../model/histogram/index.js';
import type { Labels } from '../model/labels/index.js';

/**
 * One element of an instant vector. `dropName`: Prometheus 3.x delayed `__name__` removal. `h` is
 * set when the sample is a native histogram (then `f` means nothing); float samples lack it, so
 * float evaluation keeps one object shape.
 */
export interface Sample {
  metric: Labels;
  t: number;
  f: number;
  dropName: boolean;
  h?: FloatHistogram;
}
export type Vector = Sample[];

/**
 * A series of points (Prometheus' Series{Floats, Histograms}): float points in `ts`/`fs`, native
 * histogram points in `hts`/`hs` (absent when there are none), each in ms, ascending.
 */
export interface Series {
  metric: Labels;
  ts: number[];
  fs: number[];
  dropName: boolean;
  hts?: number[];
  hs?: FloatHistogram[];
}
export type Matrix = Series[];

export interface Scalar {
  t: number;
  v: number;
}

export type QueryValue =
  | { readonly type: 'vector'; readonly vector: Vector }
  | { readonly type: 'scalar'; readonly scalar: Scalar }
  | { readonly type: 'matrix'; readonly matrix: Matrix }
  | { readonly type: 'string'; readonly string: string; readonly t: number };

/** Error types of Prometheus' HTTP API; the engine's errors carry one. */
export const ErrorType = {
  BadData: 'bad_data',
  Execution: 'execution',
  Timeout: 'timeout',
  Canceled: 'canceled',
  Internal: 'internal',
  Unavailable: 'unavailable',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** An error raised while evaluating a query; `type` selects the HTTP status. */
export class QueryError extends Error {
  readonly type: ErrorType;
  constructor(type: ErrorType, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueryError';
    this.type = type;
  }
}

export function executionError(msg: string, cause?: unknown): QueryError {
  return new QueryError(ErrorType.Execution, msg, cause === undefined ? undefined : { cause });
}

/** Reports annotations about one expression (its position is bound in). */
export interface Reporter {
  warn(msg: string): void;
  info(msg: string): void;
}

/** Warnings and infos gathered during evaluation (Prometheus annotations). */
export class Annotations {
  /** Texts as Prometheus' annotations print without a query (what promqltest compares). */
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();
  /** Source offset of the expression each text is about, when known (the API prints it). */
  readonly positions = new Map<string, number>();

  warn(msg: string, pos?: number): void {
    this.#add(this.warnings, `PromQL warning: ${msg}`, pos);
  }

  info(msg: string, pos?: number): void {
    this.#add(this.infos, `PromQL info: ${msg}`, pos);
  }

  /** A reporter for the expression starting at `pos`. */
  at(pos: number | undefined): Reporter {
    return { warn: (msg) => this.warn(msg, pos), info: (msg) => this.info(msg, pos) };
  }

  #add(set: Set<string>, text: string, pos: number | undefined): void {
    set.add(text);
    if (pos !== undefined && !this.positions.has(text)) this.positions.set(text, pos);
  }
}
