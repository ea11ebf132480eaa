// A tenant's cardinality over every ingester (Mimir's distributor LabelNamesAndValues,
// LabelValuesCardinality and ActiveSeries; Prometheus' status/tsdb). Each series lives on RF
// ingesters: sets (label values, active series) are merged without repeats, and series counts are
// summed and divided by the replication factor, as Mimir does for ingesters without zones.
import { status, type ServiceError } from '@grpc/grpc-js';
import { CardinalityError, CardinalityRejectReason } from '../api/prometheus/index.js';
import type { CardinalitySource, CountMethod, TsdbStatus } from '../api/prometheus/index.js';
import type { Stat } from '../tsdb/index.js';
import { CountMethod as WireCountMethod } from '../generated/myelin/ingester.js';
import type { ActiveSeriesResponse, LabelNamesAndValuesResponse, LabelValuesCardinalityResponse, TSDBStatusResponse } from '../generated/myelin/ingester.js';
import type { IngesterConn } from '../ingester/client/index.js';
import { Labels } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { matchersToWire } from '../wire/index.js';
import { fanOut, unary } from './ingesters-queryable.js';
import type { IngestersQueryableDeps } from './ingesters-queryable.js';

/** Entries each ingester sends per status/tsdb list, for a `limit` asked of the merge: more than asked, so the merged top is close to exact. */
const ingesterStatusLimit = (limit: number): number => Math.max(limit * 4, 50);

export class IngestersCardinality implements CardinalitySource {
  readonly #deps: IngestersQueryableDeps;

  constructor(deps: IngestersQueryableDeps) {
    this.#deps = deps;
  }

  /** Calls every ingester; an answer one of them found too large fails the request (it is not a tolerated failure). */
  async #all<T>(tenant: string, call: (conn: IngesterConn, deadline: number, cb: (err: ServiceError | null, v?: T) => void) => void): Promise<T[]> {
    let tooLarge: ServiceError | undefined;
    const refused = (): CardinalityError | undefined =>
      tooLarge === undefined ? undefined : new CardinalityError(CardinalityRejectReason.ResponseTooLarge, tooLarge.details);
    let answers: T[];
    try {
      answers = await fanOut(this.#deps, (conn, deadline) => unary<T>((cb) => call(conn, deadline, cb)).catch((err: unknown) => {
        if ((err as ServiceError).code === status.RESOURCE_EXHAUSTED) tooLarge = err as ServiceError;
        throw err;
      }));
    } catch (err) {
      throw refused() ?? err;
    }
    const tooLargeErr = refused();
    if (tooLargeErr !== undefined) throw tooLargeErr;
    return answers;
  }

  #dedupe(n: number): number {
    return Math.round(n / Math.max(1, this.#deps.ring.replicationFactor()));
  }

  async tsdbStatus(tenant: string, limit: number): Promise<TsdbStatus> {
    const answers = await this.#all<TSDBStatusResponse>(tenant, (conn, deadline, cb) =>
      conn.client.tsdbStatus({ limit: ingesterStatusLimit(limit) }, tenantMetadata(tenant), { deadline }, cb));
    let numSeries = 0;
    let chunkCount = 0;
    let numLabelPairs = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const a of answers) {
      numSeries += a.numSeries;
      chunkCount += a.chunkCount;
      // Distinct pairs cannot be summed over replicas: the largest ingester's count is a lower bound.
      numLabelPairs = Math.max(numLabelPairs, a.numLabelPairs);
      if (a.minTime <= a.maxTime) {
        minTime = Math.min(minTime, a.minTime);
        maxTime = Math.max(maxTime, a.maxTime);
      }
    }
    const summed = (pick: (a: TSDBStatusResponse) => Stat[]) => this.#merge(answers.map(pick), limit, (a, b) => a + b, true);
    return {
      numSeries: this.#dedupe(numSeries),
      numLabelPairs,
      chunkCount: this.#dedupe(chunkCount),
      minTime,
      maxTime,
      seriesCountByMetricName: summed((a) => a.seriesCountByMetricName),
      // Distinct values, likewise: the largest count any ingester saw.
      labelValueCountByLabelName: this.#merge(answers.map((a) => a.labelValueCountByLabelName), limit, Math.max, false),
      memoryInBytesByLabelName: summed((a) => a.memoryInBytesByLabelName),
      seriesCountByLabelValuePair: summed((a) => a.seriesCountByLabelValuePair),
    };
  }

  #merge(lists: Stat[][], limit: number, combine: (a: number, b: number) => number, replicated: boolean): Stat[] {
    const by = new Map<string, number>();
    for (const l of lists) for (const s of l) by.set(s.name, combine(by.get(s.name) ?? 0, s.value));
    return [...by]
      .map(([name, value]) => ({ name, value: replicated ? this.#dedupe(value) : value }))
      .sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, limit);
  }

  async labelNamesAndValues(tenant: string, matchers: Matcher[], method: CountMethod, maxBytes: number): Promise<Map<string, Set<string>>> {
    const req = { matchers: matchersToWire(matchers), countMethod: wireMethod(method), maxSizeBytes: maxBytes };
    const answers = await this.#all<LabelNamesAndValuesResponse>(tenant, (conn, deadline, cb) =>
      conn.client.labelNamesAndValues(req, tenantMetadata(tenant), { deadline }, cb));
    const out = new Map<string, Set<string>>();
    for (const a of answers) {
      for (const item of a.items) {
        let values = out.get(item.labelName);
        if (values === undefined) out.set(item.labelName, (values = new Set()));
        for (const v of item.values) values.add(v);
      }
    }
    return out;
  }

  async labelValuesCardinality(tenant: string, names: string[], matchers: Matcher[], method: CountMethod):
    Promise<{ seriesCount: number; byName: Map<string, Map<string, number>> }> {
    const req = { labelNames: names, matchers: matchersToWire(matchers), countMethod: wireMethod(method) };
    const answers = await this.#all<LabelValuesCardinalityResponse>(tenant, (conn, deadline, cb) =>
      conn.client.labelValuesCardinality(req, tenantMetadata(tenant), { deadline }, cb));
    const byName = new Map<string, Map<string, number>>(names.map((n) => [n, new Map()]));
    let seriesCount = 0;
    for (const a of answers) {
      seriesCount += a.seriesCount;
      for (const item of a.items) {
        const counts = byName.get(item.labelName);
        if (counts === undefined) continue;
        for (const [v, n] of Object.entries(item.labelValueSeries)) counts.set(v, (counts.get(v) ?? 0) + n);
      }
    }
    for (const counts of byName.values()) for (const [v, n] of counts) counts.set(v, this.#dedupe(n));
    return { seriesCount: this.#dedupe(seriesCount), byName };
  }

  async activeSeries(tenant: string, matchers: Matcher[], maxBytes: number): Promise<Labels[]> {
    const req = { matchers: matchersToWire(matchers), maxSizeBytes: maxBytes };
    const answers = await this.#all<ActiveSeriesResponse>(tenant, (conn, deadline, cb) =>
      conn.client.activeSeries(req, tenantMetadata(tenant), { deadline }, cb));
    const seen = new Map<string, Labels>();
    for (const a of answers) {
      for (const m of a.metric) {
        const ls = Labels.fromPairs(m.labels.flatMap((l) => [l.name, l.value]));
        seen.set(ls.key, ls);
      }
    }
    return [...seen.values()].sort(Labels.compare);
  }
}

const wireMethod = (m: CountMethod): WireCountMethod => (m === 'active' ? WireCountMethod.ACTIVE : WireCountMethod.IN_MEMORY);
