/**
 * Binary operators on samples where one side or both are native histograms (Prometheus 3.x):
 * histogram * float, float * histogram, histogram / float, histogram ± histogram, and == / != of
 * two histograms. Any other pairing drops the sample with an info naming the operand types; two
 * histograms whose buckets cannot be combined drop it with a warning.
 */
import type { FloatHistogram } from '../model/histogram/index.js';
import { HistogramError, add, compact, divide, equalHistograms, scale, sub } from '../model/histogram/index.js';
import type { Reporter } from './value.js';

/** The outcome of one operation: a float or a histogram, and for comparisons whether to keep. */
export interface ElemResult {
  f: number;
  h: FloatHistogram | undefined;
  keep: boolean;
}

/** `lh`/`rh` set where the operand is a histogram (then `lf`/`rf` mean nothing); null: dropped. */
export function histogramElemOp(
  op: string,
  lf: number,
  rf: number,
  lh: FloatHistogram | undefined,
  rh: FloatHistogram | undefined,
  report: Reporter,
): ElemResult | null {
  try {
    if (lh === undefined && rh !== undefined) {
      if (op === '*') return { f: 0, h: compact(scale(rh, lf)), keep: true };
    } else if (lh !== undefined && rh === undefined) {
      if (op === '*') return { f: 0, h: compact(scale(lh, rf)), keep: true };
      if (op === '/') return { f: 0, h: compact(divide(lh, rf)), keep: true };
    } else if (lh !== undefined && rh !== undefined) {
      if (op === '+') return { f: 0, h: compact(add(lh, rh)), keep: true };
      if (op === '-') return { f: 0, h: compact(sub(lh, rh)), keep: true };
      if (op === '==') return { f: 0, h: lh, keep: equalHistograms(lh, rh) };
      if (op === '!=') return { f: 0, h: lh, keep: !equalHistograms(lh, rh) };
    }
  } catch (err) {
    if (!(err instanceof HistogramError)) throw err;
    report.warn(`incompatible bucket layout encountered for binary operator ${op}`);
    return null;
  }
  const type = (h: FloatHistogram | undefined): string => (h === undefined ? 'float' : 'histogram');
  report.info(`incompatible sample types encountered for binary operator ${JSON.stringify(op)}: ${type(lh)} ${op} ${type(rh)}`);
  return null;
}
