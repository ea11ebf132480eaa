// OTLP metrics as a Prometheus remote write request, by the rules of Prometheus' OTLP translator:
//
//   gauge, non-monotonic sum  → <name>                               (a gauge)
//   monotonic sum             → <name>[_total]                       (a counter)
//   histogram                 → <name>_bucket{le}, <name>_count, <name>_sum
//   exponential histogram     → <name>                               (a native histogram)
//   summary                   → <name>{quantile}, <name>_count, <name>_sum
//   resource                  → job = service.namespace/service.name, instance = service.instance.id,
//                               promoted attributes on every series, the others on target_info
//
// Only cumulative sums and histograms have a Prometheus form: a delta (or unspecified)
// temporality is refused, data point by data point, and counted in `rejected`.
import type { ExportMetricsServiceRequest } from '../generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import type { AnyValue, KeyValue } from '../generated/opentelemetry/proto/common/v1/common.js';
import {
  AggregationTemporality, type Exemplar as OtlpExemplar, type ExponentialHistogramDataPoint, type HistogramDataPoint, type Metric, type NumberDataPoint, type SummaryDataPoint,
} from '../generated/opentelemetry/proto/metrics/v1/metrics.js';
import { MetricMetadata_MetricType as MetricType, type Exemplar, type Label, type MetricMetadata, type TimeSeries } from '../generated/prometheus/types.js';
import type { WriteRequest } from '../generated/prometheus/remote.js';
import { StaleNaN } from '../tsdb/index.js';
import { WireError, WireErrorCode } from '../wire/index.js';
import { nativeHistogram } from './otlp-exponential.js';
import { labelName, metricName, type NameKind } from './otlp-names.js';

/** The tenant's `otel_*` limits. */
export interface OtlpSettings {
  /** Append unit and type suffixes to metric names (`otel_metric_suffixes_enabled`). */
  suffixes: boolean;
  /** Resource attributes copied onto every series of the resource (`promote_otel_resource_attributes`). */
  promote: readonly string[];
  /** Keep service.name, service.namespace and service.instance.id on target_info too (`otel_keep_identifying_resource_attributes`). */
  keepIdentifying: boolean;
}

export interface Translated {
  write: WriteRequest;
  /** Data points received. */
  points: number;
  /** Data points that could not be translated; `firstError` says why the first one could not. */
  rejected: number;
  firstError: string;
  /** The data point (numbered from 0 in request order) series i of `write` comes from; -1 for target_info. */
  pointOf: number[];
}

const identifying = new Set(['service.name', 'service.namespace', 'service.instance.id']);
const noRecordedValue = 1;

/**
 * Translates `req`. A data point becomes several series that repeat its labels (a histogram's
 * buckets), so a small request could make a huge one: past `maxBytes` of series this throws a
 * WireError TooLarge.
 */
export function translateMetrics(req: ExportMetricsServiceRequest, s: OtlpSettings, maxBytes = Infinity): Translated {
  const t = new Translation(s, maxBytes);
  for (const rm of req.resourceMetrics) {
    const attrs = rm.resource?.attributes ?? [];
    t.beginResource(attrs);
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) t.metric(m);
    t.endResource(attrs);
  }
  return { write: { timeseries: t.series, metadata: t.metadata }, points: t.points, rejected: t.rejected, firstError: t.firstError, pointOf: t.pointOf };
}

class Translation {
  readonly series: TimeSeries[] = [];
  readonly metadata: MetricMetadata[] = [];
  readonly pointOf: number[] = [];
  points = 0;
  /** The data point being translated. */
  #point = -1;
  rejected = 0;
  firstError = '';
  readonly #s: OtlpSettings;
  /** Labels every series of the current resource gets (job, instance), and the promoted attributes. */
  #resourceLabels: [string, string][] = [];
  #promoted: KeyValue[] = [];
  /** The latest timestamp of the resource's data points: target_info's. */
  #latest = -Infinity;
  /** Label names of the attribute keys seen: a request repeats few keys over many data points. */
  readonly #names = new Map<string, string>();
  /** Metric families whose metadata is in `metadata`. */
  readonly #described = new Set<string>();

  readonly #maxBytes: number;
  /** About the size of the series so far as remote write: label and sample bytes. */
  #bytes = 0;

  constructor(s: OtlpSettings, maxBytes: number) {
    this.#s = s;
    this.#maxBytes = maxBytes;
  }

  beginResource(attrs: readonly KeyValue[]): void {
    const get = (k: string) => attrs.find((a) => a.key === k);
    const name = get('service.name');
    const ns = get('service.namespace');
    const instance = get('service.instance.id');
    this.#resourceLabels = [];
    const job = name === undefined ? '' : ns === undefined ? valueString(name.value) : `${valueString(ns.value)}/${valueString(name.value)}`;
    if (job !== '') this.#resourceLabels.push(['job', job]);
    const inst = instance === undefined ? '' : valueString(instance.value);
    if (inst !== '') this.#resourceLabels.push(['instance', inst]);
    this.#promoted = attrs.filter((a) => this.#s.promote.includes(a.key));
    this.#latest = -Infinity;
  }

  /** Adds target_info for the resource's other attributes, when it has any and sent a data point. */
  endResource(attrs: readonly KeyValue[]): void {
    const info = attrs.filter((a) => this.#s.keepIdentifying || !identifying.has(a.key));
    if (info.length === 0 || this.#latest === -Infinity) return;
    const point = this.#point;
    this.#point = -1;
    this.#push(this.#labels(info, []), 'target_info', [], 1, this.#latest, []);
    this.#point = point;
  }

  metric(m: Metric): void {
    this.points += pointsOf(m);
    if (m.gauge !== undefined) this.#numbers(m, m.gauge.dataPoints, 'gauge', MetricType.GAUGE);
    else if (m.sum !== undefined) {
      if (!this.#cumulative(m, m.sum.aggregationTemporality, m.sum.dataPoints.length)) return;
      this.#numbers(m, m.sum.dataPoints, m.sum.isMonotonic ? 'counter' : 'gauge', m.sum.isMonotonic ? MetricType.COUNTER : MetricType.GAUGE);
    } else if (m.histogram !== undefined) {
      if (!this.#cumulative(m, m.histogram.aggregationTemporality, m.histogram.dataPoints.length)) return;
      const name = this.#name(m, 'other', m.histogram.dataPoints.length, MetricType.HISTOGRAM);
      if (name !== '') for (const p of m.histogram.dataPoints) this.#histogram(name, p);
    } else if (m.exponentialHistogram !== undefined) {
      const e = m.exponentialHistogram;
      if (!this.#cumulative(m, e.aggregationTemporality, e.dataPoints.length)) return;
      const name = this.#name(m, 'other', e.dataPoints.length, MetricType.HISTOGRAM);
      if (name !== '') for (const p of e.dataPoints) this.#exponential(m, name, p);
    } else if (m.summary !== undefined) {
      const name = this.#name(m, 'other', m.summary.dataPoints.length, MetricType.SUMMARY);
      if (name !== '') for (const p of m.summary.dataPoints) this.#summary(name, p);
    }
  }

  /**
   * Whether a sum or histogram is cumulative; refuses its data points otherwise. A delta
   * non-monotonic sum is refused too: its values are changes, not the level a gauge holds.
   */
  #cumulative(m: Metric, temporality: AggregationTemporality, points: number): boolean {
    if (temporality === AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE) return true;
    const what = temporality === AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA ? 'delta' : 'unspecified';
    this.#reject(points, `metric ${JSON.stringify(m.name)}: ${what} aggregation temporality is not supported, only cumulative (set the SDK's temporality preference to cumulative, or convert with the Collector's deltatocumulative processor)`);
    return false;
  }

  /** The metric's Prometheus name, with its metadata recorded; '' (and the points refused) when nothing of the name is valid. */
  #name(m: Metric, kind: NameKind, points: number, type: MetricType): string {
    const name = metricName(m.name, m.unit, kind, this.#s.suffixes);
    if (name === '') {
      this.#reject(points, `metric ${JSON.stringify(m.name)}: no valid character in the name`);
      return '';
    }
    if (!this.#described.has(name)) {
      this.#described.add(name);
      this.metadata.push({ type, metricFamilyName: name, help: m.description, unit: m.unit });
    }
    return name;
  }

  #reject(points: number, why: string): void {
    this.rejected += points;
    if (this.firstError === '') this.firstError = why;
  }

  #numbers(m: Metric, points: readonly NumberDataPoint[], kind: NameKind, type: MetricType): void {
    const name = this.#name(m, kind, points.length, type);
    if (name === '') return;
    for (const p of points) {
      this.#point++;
      const v = (p.flags & noRecordedValue) !== 0 ? StaleNaN : (p.asDouble ?? Number(p.asInt ?? 0));
      this.#push(this.#labels(p.attributes), name, [], v, millis(p.timeUnixNano), exemplars(p.exemplars, this.#names));
    }
  }

  #histogram(name: string, p: HistogramDataPoint): void {
    this.#point++;
    const t = millis(p.timeUnixNano);
    const stale = (p.flags & noRecordedValue) !== 0 ? StaleNaN : undefined;
    const ex = bucketExemplars(exemplars(p.exemplars, this.#names), p.explicitBounds);
    const base = this.#labels(p.attributes);
    let cumulative = 0;
    for (let b = 0; b <= p.explicitBounds.length; b++) {
      const le = b < p.explicitBounds.length ? p.explicitBounds[b] : Infinity;
      // The +Inf bucket is the count, whether or not the bucket counts were sent.
      cumulative = b < p.explicitBounds.length ? cumulative + Number(p.bucketCounts[b] ?? 0) : Number(p.count);
      this.#push(base, `${name}_bucket`, ['le', formatFloat(le)], stale ?? cumulative, t, ex.get(b) ?? []);
    }
    this.#push(base, `${name}_count`, [], stale ?? Number(p.count), t, []);
    if (p.sum !== undefined) this.#push(base, `${name}_sum`, [], stale ?? p.sum, t, []);
  }

  #exponential(m: Metric, name: string, p: ExponentialHistogramDataPoint): void {
    this.#point++;
    const t = millis(p.timeUnixNano);
    const h = nativeHistogram(p, t, (p.flags & noRecordedValue) !== 0 ? StaleNaN : undefined);
    if (typeof h === 'string') {
      this.#reject(1, `metric ${JSON.stringify(m.name)}: ${h}`);
      return;
    }
    this.#add(this.#labels(p.attributes), name, [], exemplars(p.exemplars, this.#names), t).histograms.push(h);
  }

  #summary(name: string, p: SummaryDataPoint): void {
    this.#point++;
    const t = millis(p.timeUnixNano);
    const stale = (p.flags & noRecordedValue) !== 0 ? StaleNaN : undefined;
    const base = this.#labels(p.attributes);
    for (const q of p.quantileValues) this.#push(base, name, ['quantile', formatFloat(q.quantile)], stale ?? q.value, t, []);
    this.#push(base, `${name}_count`, [], stale ?? Number(p.count), t, []);
    this.#push(base, `${name}_sum`, [], stale ?? p.sum, t, []);
  }

  /** The labels of a data point of the current resource, sorted: its attributes, the promoted ones, job and instance. */
  #labels(attrs: readonly KeyValue[], promoted = this.#promoted): Label[] {
    const labels = attributeLabels(promoted.length === 0 ? attrs : [...promoted.filter((p) => !attrs.some((a) => a.key === p.key)), ...attrs], this.#names);
    for (const [n, v] of this.#resourceLabels) setLabel(labels, n, v);
    return labels.sort(byName);
  }

  #push(base: readonly Label[], name: string, extra: readonly string[], value: number, t: number, ex: Exemplar[]): void {
    this.#add(base, name, extra, ex, t).samples.push({ value, timestamp: t });
  }

  /**
   * A new series of the current resource: the sorted `base` with the name and `extra` labels put
   * in their places (remote write wants labels sorted). Label objects are shared between the
   * series of a data point, never changed.
   */
  #add(base: readonly Label[], name: string, extra: readonly string[], ex: Exemplar[], t: number): TimeSeries {
    if (t > this.#latest) this.#latest = t;
    const labels = base.slice();
    putLabel(labels, '__name__', name);
    for (let k = 0; k < extra.length; k += 2) putLabel(labels, extra[k], extra[k + 1]);
    for (const l of labels) this.#bytes += l.name.length + l.value.length + 6;
    if (this.#bytes > this.#maxBytes) {
      throw new WireError(WireErrorCode.TooLarge, `the OTLP request makes more than ${this.#maxBytes} bytes of series once translated (twice -distributor.max-recv-msg-size); send fewer data points or histogram buckets per request`);
    }
    const ts: TimeSeries = { labels, samples: [], exemplars: ex, histograms: [] };
    this.series.push(ts);
    this.pointOf.push(this.#point);
    return ts;
  }
}

/** Exemplars by the bucket that holds their value: the first whose bound is at or above it (the last, +Inf, when none is). */
function bucketExemplars(ex: readonly Exemplar[], bounds: readonly number[]): Map<number, Exemplar[]> {
  const out = new Map<number, Exemplar[]>();
  for (const e of ex) {
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bounds[mid] < e.value) lo = mid + 1;
      else hi = mid;
    }
    const list = out.get(lo);
    if (list === undefined) out.set(lo, [e]);
    else list.push(e);
  }
  return out;
}

function pointsOf(m: Metric): number {
  const d = m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary;
  return d === undefined ? 0 : d.dataPoints.length;
}

/**
 * Attributes as labels. Keys that name the same label (`a.b` and `a_b`) have their values
 * joined with `;` in key order, as Prometheus does; a key with no valid character, or an empty
 * value, is dropped.
 */
function attributeLabels(attrs: readonly KeyValue[], names: Map<string, string>): Label[] {
  const sorted = keysSorted(attrs) ? attrs : [...attrs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const labels: Label[] = [];
  // Few attributes are searched in place; many through a map, so a data point with a million
  // attributes costs a million steps, not a million squared.
  const index = sorted.length > 16 ? new Map<string, Label>() : undefined;
  for (const a of sorted) {
    let name = names.get(a.key);
    if (name === undefined) names.set(a.key, (name = labelName(a.key)));
    if (name === '') continue;
    const value = valueString(a.value);
    // An empty value is no label in Prometheus' data model.
    if (value === '') continue;
    const same = index === undefined ? labels.find((l) => l.name === name) : index.get(name);
    if (same !== undefined) same.value = `${same.value};${value}`;
    else {
      const l = { name, value };
      labels.push(l);
      index?.set(name, l);
    }
  }
  return labels;
}

const byName = (a: Label, b: Label) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Puts a label into sorted `labels`, replacing (not changing) one of the same name. */
function putLabel(labels: Label[], name: string, value: string): void {
  let i = 0;
  while (i < labels.length && labels[i].name < name) i++;
  if (i < labels.length && labels[i].name === name) labels[i] = { name, value };
  else labels.splice(i, 0, { name, value });
}

function keysSorted(attrs: readonly KeyValue[]): boolean {
  for (let i = 1; i < attrs.length; i++) if (attrs[i - 1].key > attrs[i].key) return false;
  return true;
}

function setLabel(labels: Label[], name: string, value: string): void {
  const same = labels.find((l) => l.name === name);
  if (same === undefined) labels.push({ name, value });
  else same.value = value;
}

function exemplars(list: readonly OtlpExemplar[], names: Map<string, string>): Exemplar[] {
  if (list.length === 0) return [];
  return list.map((e) => {
    const labels = attributeLabels(e.filteredAttributes, names);
    if (e.traceId.length > 0) labels.push({ name: 'trace_id', value: e.traceId.toString('hex') });
    if (e.spanId.length > 0) labels.push({ name: 'span_id', value: e.spanId.toString('hex') });
    return { labels, value: e.asDouble ?? Number(e.asInt ?? 0), timestamp: millis(e.timeUnixNano) };
  });
}

/** An attribute value as a label value: scalars as text, arrays and maps as JSON, bytes as base64. */
export function valueString(v: AnyValue | undefined): string {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.intValue !== undefined) return v.intValue.toString();
  if (v.doubleValue !== undefined) return formatFloat(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue.toString('base64');
  return JSON.stringify(plain(v));
}

function plain(v: AnyValue): unknown {
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(plain);
  if (v.kvlistValue !== undefined) return Object.fromEntries(v.kvlistValue.values.map((kv) => [kv.key, kv.value === undefined ? null : plain(kv.value)]));
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.bytesValue === undefined ? null : v.bytesValue.toString('base64'));
}

/** Prometheus' text for a float: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
function formatFloat(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Nanoseconds since 1970 as milliseconds (truncated). */
function millis(ns: bigint): number {
  return Number(ns / 1_000_000n);
}
