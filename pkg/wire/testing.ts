// Test helpers: remote write 2.0 requests built from 1.0-shaped series, so that tests and benches
// can compare what the 2.0 path stores with what the 1.0 path stores. Not used by production code.
import { Request as RequestV2, type TimeSeries as TimeSeriesV2 } from '../generated/io/prometheus/write/v2/types.js';
import type { TimeSeries } from '../generated/prometheus/types.js';

/** A 1.0 series plus what 2.0 adds per series. */
export interface SeriesV2 extends TimeSeries {
  metadata?: { type: number; help: string; unit: string };
  createdTimestamp?: number;
}

/** The 2.0 request carrying `series`, every string interned in one symbols table ('' first). */
export function requestV2(series: readonly SeriesV2[]): RequestV2 {
  const symbols = [''];
  const index = new Map([['', 0]]);
  const ref = (s: string): number => {
    let k = index.get(s);
    if (k === undefined) {
      k = symbols.length;
      symbols.push(s);
      index.set(s, k);
    }
    return k;
  };
  const refs = (labels: readonly { name: string; value: string }[]) => labels.flatMap((l) => [ref(l.name), ref(l.value)]);
  const timeseries: TimeSeriesV2[] = series.map((s) => ({
    labelsRefs: refs(s.labels),
    samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestamp, startTimestamp: 0 })),
    histograms: s.histograms,
    exemplars: s.exemplars.map((e) => ({ labelsRefs: refs(e.labels), value: e.value, timestamp: e.timestamp })),
    metadata: s.metadata === undefined ? undefined : { type: s.metadata.type, helpRef: ref(s.metadata.help), unitRef: ref(s.metadata.unit) },
    createdTimestamp: s.createdTimestamp ?? 0,
  }));
  return { symbols, timeseries };
}

/** requestV2's protobuf bytes (not compressed). */
export function encodeV2(series: readonly SeriesV2[]): Buffer {
  return Buffer.from(RequestV2.encode(requestV2(series)).finish());
}
