// Validation of decoded series and metadata against a tenant's limits (Cortex
// util/validation/validate.go). Per-series checks return a reason and never throw; the message
// of a rejection is built only for the first one of a request.
import type { Limits } from '../limits/index.js';
import { isValidLabelNameBytes, isValidMetricNameBytes, MetricName, quoteLabelValue, stringEqualsUtf8, utf16Length } from '../model/labels/index.js';
import { ExemplarMaxLabelSetLength } from '../tsdb/index.js';
import type { DecodedWrite, MetadataEntry } from '../wire/index.js';
import { DiscardReason, ValidationError } from './discard.js';

/**
 * Checks series against limits, on the label bytes of the request (no label string is needed).
 * Labels must arrive sorted by name and unique, as Prometheus sends them; unsorted or duplicate
 * names are rejected, not repaired. After a rejection, `badLabel`/`badSample` point at the
 * offending label or sample for `error()`. Lengths are counted in UTF-16 units, as JS strings.
 */
export class SeriesValidator {
  badLabel = -1;
  badSample = -1;

  /**
   * The reason series `i` of `d` is rejected, or undefined. The label named `skip` (the HA
   * replica label, which is dropped before storing) is ignored; pass '' to check every label.
   */
  check(d: DecodedWrite, i: number, limits: Limits, now: number, skip: string): DiscardReason | undefined {
    const buf = d.buf;
    const r = d.labelRanges;
    const from = d.labelsStart[i];
    const to = d.labelsStart[i + 1];
    this.badLabel = -1;
    this.badSample = -1;
    let count = 0;
    let prev = -1;
    let metricName = -1;
    for (let l = from; l < to; l++) {
      const nFrom = r[4 * l];
      const nTo = r[4 * l + 1];
      if (skip !== '' && stringEqualsUtf8(skip, buf, nFrom, nTo)) continue;
      count++;
      this.badLabel = l;
      if (stringEqualsUtf8(MetricName, buf, nFrom, nTo)) {
        metricName = l;
      } else if (!isValidLabelNameBytes(buf, nFrom, nTo)) return DiscardReason.InvalidLabel;
      if (longerThan(buf, nFrom, nTo, limits.maxLabelNameLength)) return DiscardReason.LabelNameTooLong;
      if (longerThan(buf, r[4 * l + 2], r[4 * l + 3], limits.maxLabelValueLength)) return DiscardReason.LabelValueTooLong;
      if (prev >= 0) {
        // Names here are ASCII (checked above), so byte order is string order.
        const c = compareBytes(buf, r[4 * prev], r[4 * prev + 1], nFrom, nTo);
        if (c === 0) return DiscardReason.DuplicateLabelNames;
        if (c > 0) return DiscardReason.LabelsNotSorted;
      }
      prev = l;
    }
    this.badLabel = -1;
    if (limits.enforceMetricName) {
      if (metricName < 0 || r[4 * metricName + 2] === r[4 * metricName + 3]) return DiscardReason.MissingMetricName;
      if (!isValidMetricNameBytes(buf, r[4 * metricName + 2], r[4 * metricName + 3])) return DiscardReason.InvalidMetricName;
    }
    if (count > limits.maxLabelNamesPerSeries) return DiscardReason.MaxLabelNamesPerSeries;
    const maxT = now + limits.creationGracePeriod;
    const minT = limits.rejectOldSamples ? now - limits.rejectOldSamplesMaxAge : -Infinity;
    const t = d.t;
    for (let s = d.samplesStart[i], end = d.samplesStart[i + 1]; s < end; s++) {
      if (t[s] > maxT) {
        this.badSample = s;
        return DiscardReason.TooFarInFuture;
      }
      if (t[s] < minT) {
        this.badSample = s;
        return DiscardReason.TooOld;
      }
    }
    return undefined;
  }

  /** The error for the rejection `check` just returned, naming the series and the limit. */
  error(reason: DiscardReason, d: DecodedWrite, i: number, limits: Limits, skip: string): ValidationError {
    const series = seriesString(d, i, skip);
    const l = this.badLabel;
    const label = l >= 0 ? d.buf.toString('utf8', d.labelRanges[4 * l], d.labelRanges[4 * l + 1]) : '';
    let msg: string;
    switch (reason) {
      case DiscardReason.InvalidLabel:
        msg = `sample invalid label: ${JSON.stringify(label)} series: ${series}`;
        break;
      case DiscardReason.LabelNameTooLong:
        msg = `label name too long (limit ${limits.maxLabelNameLength}): ${JSON.stringify(label)} series: ${series}`;
        break;
      case DiscardReason.LabelValueTooLong:
        msg = `label value too long (limit ${limits.maxLabelValueLength}) for label ${JSON.stringify(label)} series: ${series}`;
        break;
      case DiscardReason.DuplicateLabelNames:
        msg = `duplicate label name: ${JSON.stringify(label)} series: ${series}`;
        break;
      case DiscardReason.LabelsNotSorted:
        msg = `labels not sorted by name at ${JSON.stringify(label)} series: ${series}`;
        break;
      case DiscardReason.MissingMetricName:
        msg = `sample missing metric name, series: ${series}`;
        break;
      case DiscardReason.InvalidMetricName:
        msg = `sample invalid metric name, series: ${series}`;
        break;
      case DiscardReason.MaxLabelNamesPerSeries:
        msg = `series has too many labels (limit ${limits.maxLabelNamesPerSeries}) series: ${series}`;
        break;
      case DiscardReason.TooFarInFuture:
        msg = `timestamp too new: ${d.t[this.badSample]} (more than ${limits.creationGracePeriod}ms ahead, -validation.create-grace-period) series: ${series}`;
        break;
      case DiscardReason.TooOld:
        msg = `timestamp too old: ${d.t[this.badSample]} (older than ${limits.rejectOldSamplesMaxAge}ms, -validation.reject-old-samples.max-age) series: ${series}`;
        break;
      default:
        msg = `series rejected (${reason}): ${series}`;
    }
    return new ValidationError(reason, msg);
  }
}

/**
 * The reason exemplar e of `d` is refused, or undefined (Cortex ValidateExemplar, in its order,
 * then -validation.reject-old-samples, whose bound `minT` is -Infinity when off).
 */
export function checkExemplar(d: DecodedWrite, e: number, minT: number): DiscardReason | undefined {
  const from = d.exemplarLabelsStart[e];
  const to = d.exemplarLabelsStart[e + 1];
  if (from === to) return DiscardReason.ExemplarLabelsMissing;
  // Remote write has no "unset": a zero timestamp is a missing one.
  if (d.exemplarT[e] === 0) return DiscardReason.ExemplarTimestampInvalid;
  const buf = d.buf;
  const r = d.exemplarLabelRanges;
  let runes = 0;
  for (let l = from; l < to; l++) {
    if (!isValidLabelNameBytes(buf, r[4 * l], r[4 * l + 1])) return DiscardReason.ExemplarLabelsBlank;
    runes += runeCount(buf, r[4 * l], r[4 * l + 1]) + runeCount(buf, r[4 * l + 2], r[4 * l + 3]);
  }
  if (runes > ExemplarMaxLabelSetLength) return DiscardReason.ExemplarLabelsTooLong;
  if (d.exemplarT[e] < minT) return DiscardReason.ExemplarTooOld;
  return undefined;
}

/** The error for exemplar e of series i, refused for `reason` (the series itself is kept). */
export function exemplarError(reason: DiscardReason, d: DecodedWrite, i: number, e: number, limits: Limits, skip: string): ValidationError {
  const where = `timestamp: ${d.exemplarT[e]} series: ${seriesString(d, i, skip)} labels: ${labelsString(d.exemplarLabelPairs(e, []), '')}`;
  let what: string;
  switch (reason) {
    case DiscardReason.ExemplarLabelsMissing:
      what = 'exemplar missing labels';
      break;
    case DiscardReason.ExemplarTimestampInvalid:
      what = 'exemplar missing timestamp';
      break;
    case DiscardReason.ExemplarLabelsBlank:
      what = 'exemplar has a blank or invalid label name';
      break;
    case DiscardReason.ExemplarLabelsTooLong:
      what = `exemplar combined labelset exceeds ${ExemplarMaxLabelSetLength} characters`;
      break;
    case DiscardReason.ExemplarTooOld:
      what = `exemplar too old (older than ${limits.rejectOldSamplesMaxAge}ms, -validation.reject-old-samples.max-age)`;
      break;
    default:
      what = `exemplar rejected (${reason})`;
  }
  return new ValidationError(reason, `${what}, ${where}`);
}

/** The reason a metadata entry is rejected, or undefined. */
export function checkMetadata(m: MetadataEntry, limits: Limits): DiscardReason | undefined {
  if (limits.enforceMetadataMetricName && m.metricFamilyName === '') return DiscardReason.MetadataMissingMetricName;
  const max = limits.maxMetadataLength;
  if (m.metricFamilyName.length > max) return DiscardReason.MetadataMetricNameTooLong;
  if (m.help.length > max) return DiscardReason.MetadataHelpTooLong;
  if (m.unit.length > max) return DiscardReason.MetadataUnitTooLong;
  return undefined;
}

export function metadataError(reason: DiscardReason, m: MetadataEntry, limits: Limits): ValidationError {
  const what = reason === DiscardReason.MetadataMissingMetricName ? 'metadata missing metric name'
    : `metadata ${reason.replace(/_/g, ' ')} (limit ${limits.maxMetadataLength})`;
  return new ValidationError(reason, `${what}: metric family ${JSON.stringify(m.metricFamilyName.slice(0, 200))}`);
}

/** Series i's labels for an error message (values cut at 200 characters), without the label `skip`. */
export function seriesString(d: DecodedWrite, i: number, skip: string): string {
  return labelsString(d.labelPairs(i, []), skip);
}

/** Flat name/value pairs as `{a="1", b="2"}`, values cut at 200 characters, the label `skip` left out. */
function labelsString(pairs: readonly string[], skip: string): string {
  const parts: string[] = [];
  for (let k = 0; k < pairs.length; k += 2) {
    if (skip === '' || pairs[k] !== skip) parts.push(`${pairs[k]}=${quoteLabelValue(pairs[k + 1].slice(0, 200))}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Whether the UTF-8 text buf[from, to) is longer than `max` UTF-16 units. */
function longerThan(buf: Uint8Array, from: number, to: number, max: number): boolean {
  // A UTF-16 length never exceeds the byte length.
  return to - from > max && utf16Length(buf, from, to) > max;
}

/** Code points in the UTF-8 text buf[from, to): the bytes that do not continue a sequence. */
function runeCount(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let p = from; p < to; p++) if ((buf[p] & 0xc0) !== 0x80) n++;
  return n;
}

/** Byte order of buf[aFrom, aTo) and buf[bFrom, bTo). */
function compareBytes(buf: Uint8Array, aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  const n = Math.min(aTo - aFrom, bTo - bFrom);
  for (let k = 0; k < n; k++) {
    const c = buf[aFrom + k] - buf[bFrom + k];
    if (c !== 0) return c;
  }
  return aTo - aFrom - (bTo - bFrom);
}
