/**
 * The cardinality endpoints: Prometheus' /api/v1/status/tsdb (its JSON, in the usual envelope) and
 * Mimir's /api/v1/cardinality/{label_names,label_values,active_series} (Mimir's JSON, no envelope).
 * This file checks the parameters and the tenant's limits and writes the answer; the figures come
 * from a CardinalitySource (the querier's, over every ingester, replication accounted for).
 */
import type { QueryLimits } from '../../limits/index.js';
import type { Labels, Matcher } from '../../model/labels/index.js';
import type { HeadStatus, Stat } from '../../tsdb/index.js';
import { ErrorType, QueryError } from '../../promql/index.js';
import { parseSeriesSelector } from '../../promql/parser/index.js';
import { goJson } from './encode.js';
import type { Params } from './params.js';
import { all, one } from './params.js';

export type CountMethod = 'inmemory' | 'active';

/** A tenant's head statistics over every ingester, shaped as one head's; min > max when there is no sample. */
export type TsdbStatus = HeadStatus;

/** Where the figures come from. Series counts are of distinct series (replicas counted once). */
export interface CardinalitySource {
  tsdbStatus(tenant: string, limit: number): Promise<TsdbStatus>;
  labelNamesAndValues(tenant: string, matchers: Matcher[], method: CountMethod, maxBytes: number): Promise<Map<string, Set<string>>>;
  labelValuesCardinality(tenant: string, names: string[], matchers: Matcher[], method: CountMethod):
    Promise<{ seriesCount: number; byName: Map<string, Map<string, number>> }>;
  activeSeries(tenant: string, matchers: Matcher[], maxBytes: number): Promise<Labels[]>;
}

/** Why a cardinality request was refused: the `reason` of myelin_querier_cardinality_requests_rejected_total. */
export const CardinalityRejectReason = {
  Disabled: 'disabled',
  BadRequest: 'bad_request',
  ResponseTooLarge: 'response_too_large',
} as const;
export type CardinalityRejectReason = (typeof CardinalityRejectReason)[keyof typeof CardinalityRejectReason];

export class CardinalityError extends QueryError {
  readonly reason: CardinalityRejectReason;

  constructor(reason: CardinalityRejectReason, message: string) {
    super(reason === CardinalityRejectReason.ResponseTooLarge ? ErrorType.Execution : ErrorType.BadData, message);
    this.name = 'CardinalityError';
    this.reason = reason;
  }
}

const bad = (msg: string): CardinalityError => new CardinalityError(CardinalityRejectReason.BadRequest, msg);

/** Go's int64 bounds: what Prometheus shows as the times of an empty head. */
const goMaxInt64 = '9223372036854775807';
const goMinInt64 = '-9223372036854775808';

export const CardinalityOp = {
  TsdbStatus: 'tsdb_status',
  CardinalityLabelNames: 'cardinality_label_names',
  CardinalityLabelValues: 'cardinality_label_values',
  ActiveSeries: 'cardinality_active_series',
} as const;
export type CardinalityOp = (typeof CardinalityOp)[keyof typeof CardinalityOp];

/** Runs one cardinality request; returns the whole response body. Throws CardinalityError or QueryError. */
export async function cardinality(op: CardinalityOp, tenant: string, p: Params, limits: QueryLimits, src: CardinalitySource): Promise<string> {
  if (tenant.includes('|')) throw bad('the cardinality endpoints answer for one tenant at a time');
  if (!limits.cardinalityAnalysisEnabled) {
    throw new CardinalityError(CardinalityRejectReason.Disabled, `cardinality analysis is disabled for the tenant: ${tenant} (-querier.cardinality-analysis-enabled)`);
  }
  switch (op) {
    case CardinalityOp.TsdbStatus:
      return tsdbStatusBody(await src.tsdbStatus(tenant, limitParam(p, 10, limits)));
    case CardinalityOp.CardinalityLabelNames: {
      const limit = limitParam(p, 20, limits);
      const found = await src.labelNamesAndValues(tenant, selector(p, false), countMethod(p), limits.labelNamesAndValuesResultsMaxSizeBytes);
      return labelNamesBody(found, limit);
    }
    case CardinalityOp.CardinalityLabelValues: {
      const names = labelNames(p, limits);
      const limit = limitParam(p, 20, limits);
      const found = await src.labelValuesCardinality(tenant, names, selector(p, false), countMethod(p));
      return labelValuesBody(found, limit);
    }
    case CardinalityOp.ActiveSeries: {
      const found = await src.activeSeries(tenant, selector(p, true), limits.activeSeriesResultsMaxSizeBytes);
      return `{"data":${goJson(found.map((ls) => ls.toRecord()))}}`;
    }
  }
}

/** `limit`: a non-negative integer, at most -querier.cardinality-analysis-max-results. */
function limitParam(p: Params, dflt: number, limits: QueryLimits): number {
  const v = one(p, 'limit');
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw bad(`invalid 'limit' param: ${JSON.stringify(v)} is not a non-negative integer`);
  const max = limits.cardinalityAnalysisMaxResults;
  if (max > 0 && n > max) throw bad(`'limit' param cannot be greater than '${max}' (-querier.cardinality-analysis-max-results)`);
  return n;
}

function countMethod(p: Params): CountMethod {
  const v = one(p, 'count_method') ?? '';
  if (v === '' || v === 'inmemory') return 'inmemory';
  if (v === 'active') return 'active';
  throw bad(`invalid 'count_method' param ${JSON.stringify(v)}: must be one of inmemory, active`);
}

function selector(p: Params, required: boolean): Matcher[] {
  const v = one(p, 'selector') ?? '';
  if (v === '') {
    if (required) throw bad("missing 'selector' param");
    return [];
  }
  try {
    return parseSeriesSelector(v);
  } catch (err) {
    throw bad(`invalid 'selector' param: ${(err as Error).message}`);
  }
}

function labelNames(p: Params, limits: QueryLimits): string[] {
  const names = [...new Set(all(p, 'label_names[]'))];
  if (names.length === 0) throw bad("'label_names[]' param is required");
  const max = limits.labelValuesMaxCardinalityLabelNamesPerRequest;
  if (max > 0 && names.length > max) {
    throw bad(`too many label names: ${names.length} (at most ${max}: -querier.label-values-max-cardinality-label-names-per-request)`);
  }
  for (const n of names) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n)) throw bad(`invalid label name ${JSON.stringify(n)} in 'label_names[]'`);
  return names;
}

const stats = (s: Stat[]): string => `[${s.map((x) => `{"name":${goJson(x.name)},"value":${x.value}}`).join(',')}]`;

function tsdbStatusBody(s: TsdbStatus): string {
  const empty = s.minTime > s.maxTime;
  const head = `{"numSeries":${s.numSeries},"numLabelPairs":${s.numLabelPairs},"chunkCount":${s.chunkCount},`
    + `"minTime":${empty ? goMaxInt64 : s.minTime},"maxTime":${empty ? goMinInt64 : s.maxTime}}`;
  return `{"status":"success","data":{"headStats":${head},"seriesCountByMetricName":${stats(s.seriesCountByMetricName)},`
    + `"labelValueCountByLabelName":${stats(s.labelValueCountByLabelName)},"memoryInBytesByLabelName":${stats(s.memoryInBytesByLabelName)},`
    + `"seriesCountByLabelValuePair":${stats(s.seriesCountByLabelValuePair)}}}`;
}

/** Descending by count, then ascending by name (Mimir's order), cut to `limit`. */
function top<T>(items: T[], count: (x: T) => number, name: (x: T) => string, limit: number): T[] {
  return items.sort((a, b) => count(b) - count(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)).slice(0, limit);
}

function labelNamesBody(found: Map<string, Set<string>>, limit: number): string {
  let total = 0;
  const items = [...found].map(([name, values]) => {
    total += values.size;
    return { label_name: name, label_values_count: values.size };
  });
  const cut = top(items, (x) => x.label_values_count, (x) => x.label_name, limit);
  return goJson({ label_values_count_total: total, label_names_count: found.size, cardinality: cut });
}

function labelValuesBody(found: { seriesCount: number; byName: Map<string, Map<string, number>> }, limit: number): string {
  const labels = [...found.byName].map(([name, counts]) => {
    let series = 0;
    const values = [...counts].map(([value, n]) => {
      series += n;
      return { label_value: value, series_count: n };
    });
    return { label_name: name, label_values_count: counts.size, series_count: series, cardinality: top(values, (x) => x.series_count, (x) => x.label_value, limit) };
  });
  return goJson({ series_count_total: found.seriesCount, labels: top(labels, (x) => x.series_count, (x) => x.label_name, Infinity) });
}
