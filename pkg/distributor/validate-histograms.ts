// Validation of a series' native histogram samples (Cortex ValidateNativeHistogram plus the
// structural checks Prometheus' head makes): the tenant's switch, well-formedness, timestamps and
// the bucket limit, which lowers the resolution until the histogram fits (as Cortex does) and
// refuses it only when it cannot.
import type { Limits } from '../limits/index.js';
import { bucketCount, CustomBucketsSchema, histogramProblem, MinSchema, reduceResolution } from '../model/histogram/index.js';
import type { DecodedWrite, HistogramSample } from '../wire/index.js';
import { DiscardReason, ValidationError } from './discard.js';
import { seriesString } from './validate.js';

export class HistogramValidator {
  /** After a refusal: the offending sample (index into d.hs) and what is wrong with it. */
  bad = -1;
  problem = '';
  /** After check() returned undefined: the series' samples with reduced resolution, if any was. */
  reduced: HistogramSample[] | undefined = undefined;
  /** How many of those were reduced (myelin_reduced_resolution_histogram_samples_total). */
  reducedCount = 0;

  /** The reason series i's histograms refuse the series, or undefined (see `reduced`). */
  check(d: DecodedWrite, i: number, limits: Limits, now: number): DiscardReason | undefined {
    this.bad = -1;
    this.problem = '';
    this.reduced = undefined;
    this.reducedCount = 0;
    const from = d.histogramsStart[i];
    const to = d.histogramsStart[i + 1];
    if (from === to) return undefined;
    this.bad = from;
    if (!limits.enableNativeHistograms) return DiscardReason.NativeHistogramsDisabled;
    const maxT = now + limits.creationGracePeriod;
    const minT = limits.rejectOldSamples ? now - limits.rejectOldSamplesMaxAge : -Infinity;
    const max = limits.maxNativeHistogramBuckets;
    for (let k = from; k < to; k++) {
      this.bad = k;
      const s = d.hs[k];
      const h = s.h ?? s.fh;
      if (h === undefined) throw new Error('BUG: a decoded histogram sample with neither h nor fh');
      const problem = histogramProblem(h, s.h === undefined);
      if (problem !== undefined) {
        this.problem = problem;
        return DiscardReason.InvalidNativeHistogram;
      }
      if (s.t > maxT) return DiscardReason.TooFarInFuture;
      if (s.t < minT) return DiscardReason.TooOld;
      if (max > 0 && bucketCount(h) > max) {
        const r = fitBuckets(s, max);
        if (r === undefined) return DiscardReason.NativeHistogramBucketsExceeded;
        this.reduced ??= d.hs.slice(from, to);
        this.reduced[k - from] = r;
        this.reducedCount++;
      }
    }
    this.bad = -1;
    return undefined;
  }

  /** The error for the refusal check() just returned, naming the series and the limit. */
  error(reason: DiscardReason, d: DecodedWrite, i: number, limits: Limits, skip: string): ValidationError {
    const series = seriesString(d, i, skip);
    const s = d.hs[this.bad];
    const h = s.h ?? s.fh;
    let msg: string;
    switch (reason) {
      case DiscardReason.NativeHistogramsDisabled:
        msg = `native histograms are disabled for this tenant (-blocks-storage.tsdb.enable-native-histograms): ${d.histograms[i]} histogram samples refused with the series (and its float samples) series: ${series}`;
        break;
      case DiscardReason.InvalidNativeHistogram:
        msg = `invalid native histogram at timestamp ${s.t}: ${this.problem} series: ${series}`;
        break;
      case DiscardReason.NativeHistogramBucketsExceeded:
        msg = `native histogram at timestamp ${s.t} has ${h === undefined ? 0 : bucketCount(h)} buckets and cannot be reduced below the limit of ${limits.maxNativeHistogramBuckets} (-validation.max-native-histogram-buckets) series: ${series}`;
        break;
      case DiscardReason.TooFarInFuture:
        msg = `timestamp too new: ${s.t} (more than ${limits.creationGracePeriod}ms ahead, -validation.create-grace-period) series: ${series}`;
        break;
      case DiscardReason.TooOld:
        msg = `timestamp too old: ${s.t} (older than ${limits.rejectOldSamplesMaxAge}ms, -validation.reject-old-samples.max-age) series: ${series}`;
        break;
      default:
        msg = `series rejected (${reason}): ${series}`;
    }
    return new ValidationError(reason, msg);
  }
}

/** `s` at the highest resolution with at most `max` buckets, or undefined if even schema -4 has more. */
function fitBuckets(s: HistogramSample, max: number): HistogramSample | undefined {
  let { h, fh } = s;
  for (;;) {
    const cur = h ?? fh;
    if (cur === undefined) return undefined;
    if (bucketCount(cur) <= max) return { t: s.t, h, fh };
    if (cur.schema === CustomBucketsSchema || cur.schema <= MinSchema) return undefined;
    if (h !== undefined) h = reduceResolution(h, h.schema - 1, false);
    else if (fh !== undefined) fh = reduceResolution(fh, fh.schema - 1, true);
  }
}
