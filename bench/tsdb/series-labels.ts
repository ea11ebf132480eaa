// Label sets of the tsdb benchmarks.
import { Labels } from '../../pkg/model/labels/index.js';

/** A realistic label set: 100 metric names, 10 jobs, 100 series per instance, one unique pod label. */
export function seriesLabels(i: number): Labels {
  return Labels.fromRecord({
    __name__: `bench_metric_${i % 100}_total`,
    job: `job-${i % 10}`,
    instance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${Math.floor(i / 100) & 255}:9100`,
    pod: `app-${Math.floor(i / 7)}-${(i * 2654435761) % 100000}`,
    zone: `zone-${i % 3}`,
  });
}
