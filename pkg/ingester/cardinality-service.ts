// The ingester's cardinality calls (proto/myelin/ingester.proto): figures over one tenant's head,
// read from its postings. They share the thread with pushes, so every loop gives the event loop
// back once a time slice is used (TimeSlicer), as QueryStream does.
import { status } from '@grpc/grpc-js';
import type {
  ActiveSeriesRequest, ActiveSeriesResponse, LabelNamesAndValuesRequest, LabelNamesAndValuesResponse, LabelValuesCardinalityRequest,
  LabelValuesCardinalityResponse, TSDBStatusRequest, TSDBStatusResponse,
} from '../generated/myelin/ingester.js';
import { CountMethod } from '../generated/myelin/ingester.js';
import type { LabelMatcher } from '../generated/prometheus/types.js';
import { MetricName } from '../model/labels/index.js';
import { ResultTooLargeError, headStatus, labelNamesAndValues, labelValuesCardinality, selectedSeries } from '../tsdb/index.js';
import type { SeriesFilter, Stat } from '../tsdb/index.js';
import { labelsToWire, matchersFromWire } from '../wire/index.js';
import { TimeSlicer } from '../workers/index.js';
import type { Ingester } from './ingester.js';
import { PushError } from './push-error.js';

/** Prometheus' default length of each /api/v1/status/tsdb list. */
const defaultStatusLimit = 10;

/** The calls' failures as gRPC codes: a too large answer is RESOURCE_EXHAUSTED, as a query limit. */
export function cardinalityFailure(err: unknown): { code: status; details: string } | undefined {
  return err instanceof ResultTooLargeError ? { code: status.RESOURCE_EXHAUSTED, details: err.message } : undefined;
}

function filterOf(ing: Ingester, matchers: LabelMatcher[], method: CountMethod): SeriesFilter {
  let parsed;
  try {
    parsed = matchersFromWire(matchers);
  } catch (err) {
    throw PushError.invalid((err as Error).message);
  }
  return { matchers: parsed, activeSince: method === CountMethod.ACTIVE ? ing.activeSince() : -Infinity };
}

const toWire = (stats: Stat[]) => stats.map((s) => ({ name: s.name, value: s.value }));

/** The handlers, keyed as IngesterServer's. */
export function cardinalityHandlers(ing: Ingester) {
  const pause = (): (() => Promise<void> | undefined) => {
    const slicer = new TimeSlicer();
    return () => slicer.maybeYield();
  };
  return {
    tsdbStatus: async (tenant: string, req: TSDBStatusRequest): Promise<TSDBStatusResponse> => {
      const db = ing.tsdb(tenant);
      if (db === undefined) {
        return { numSeries: 0, numLabelPairs: 0, chunkCount: 0, minTime: 0, maxTime: -1, seriesCountByMetricName: [], labelValueCountByLabelName: [], memoryInBytesByLabelName: [], seriesCountByLabelValuePair: [] };
      }
      const s = await headStatus(db.head, MetricName, req.limit > 0 ? req.limit : defaultStatusLimit, pause());
      const empty = s.minTime > s.maxTime;
      return {
        numSeries: s.numSeries,
        numLabelPairs: s.numLabelPairs,
        chunkCount: s.chunkCount,
        minTime: empty ? 0 : s.minTime,
        maxTime: empty ? -1 : s.maxTime,
        seriesCountByMetricName: toWire(s.seriesCountByMetricName),
        labelValueCountByLabelName: toWire(s.labelValueCountByLabelName),
        memoryInBytesByLabelName: toWire(s.memoryInBytesByLabelName),
        seriesCountByLabelValuePair: toWire(s.seriesCountByLabelValuePair),
      };
    },
    labelNamesAndValues: async (tenant: string, req: LabelNamesAndValuesRequest): Promise<LabelNamesAndValuesResponse> => {
      const db = ing.tsdb(tenant);
      if (db === undefined) return { items: [] };
      const found = await labelNamesAndValues(db.head, filterOf(ing, req.matchers, req.countMethod), req.maxSizeBytes, pause());
      return { items: [...found].map(([labelName, values]) => ({ labelName, values: [...values] })) };
    },
    labelValuesCardinality: async (tenant: string, req: LabelValuesCardinalityRequest): Promise<LabelValuesCardinalityResponse> => {
      const db = ing.tsdb(tenant);
      if (db === undefined) return { seriesCount: 0, items: [] };
      const { seriesCount, byName } = await labelValuesCardinality(db.head, req.labelNames, filterOf(ing, req.matchers, req.countMethod), pause());
      return { seriesCount, items: [...byName].map(([labelName, counts]) => ({ labelName, labelValueSeries: Object.fromEntries(counts) })) };
    },
    activeSeries: async (tenant: string, req: ActiveSeriesRequest): Promise<ActiveSeriesResponse> => {
      const db = ing.tsdb(tenant);
      if (db === undefined) return { metric: [] };
      const found = await selectedSeries(db.head, filterOf(ing, req.matchers, CountMethod.ACTIVE), req.maxSizeBytes, pause());
      return { metric: found.map((ls) => ({ labels: labelsToWire(ls) })) };
    },
  };
}
