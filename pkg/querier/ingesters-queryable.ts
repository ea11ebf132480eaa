import { status, type ServiceError } from '@grpc/grpc-js';
import { IngesterService, QueryRequest } from '../generated/myelin/ingester.js';
import type { ExemplarQueryResponse, LabelNamesResponse, LabelValuesResponse, MetricsForLabelMatchersResponse, MetricsMetadataResponse } from '../generated/myelin/ingester.js';
import type { Exemplar as WireExemplar } from '../generated/prometheus/types.js';
import { metricMetadata_MetricTypeToJSON } from '../generated/prometheus/types.js';
import type { IngesterConn } from '../ingester/client/index.js';
import { Labels } from '../model/labels/index.js';
import type { Matcher } from '../model/labels/index.js';
import { Read, TooFewHealthyInstancesError } from '../ring/index.js';
import type { InstanceDesc, ReadRing, ReplicationSet } from '../ring/index.js';
import { lazySeriesSet, mergeLabelLists, seriesSetOf } from '../storage/index.js';
import type { ChunkSeries, LabelHints, Querier, Queryable, SelectHints, Series, SeriesSet } from '../storage/index.js';
import { BlockChunkSeries, mergeOverlappingChunks } from '../tsdb/block/index.js';
import { ChunksSeries } from '../tsdb/index.js';
import { tenantMetadata } from '../tenant/index.js';
import { QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { QueryStreamReader, fetchLimitsToWire, labelsFromWire, matchersToWire, type WireChunkSeries } from '../wire/index.js';
import { withWarnings } from './with-warnings.js';

export interface IngestersQueryableDeps {
  ring: ReadRing;
  client: (addr: string) => IngesterConn;
  /** Per-call timeout in ms. */
  timeout: number;
}

/**
 * Reads one tenant's data from the ingesters (Cortex distributor_queryable; which time range goes
 * to the ingesters is timeSplitQueryable's decision): every healthy
 * ingester is asked with QueryStream, up to the ring's tolerated failures may fail, and the RF
 * copies of each series are merged (identical chunks kept once, overlapping ones deduplicated).
 */
export class IngestersQueryable implements Queryable {
  readonly #tenant: string;
  readonly #deps: IngestersQueryableDeps;
  readonly #limiter: QueryLimiter;

  /** `limiter` is the query's budget, shared with the other queryables the query reads. */
  constructor(tenant: string, deps: IngestersQueryableDeps, limiter = new QueryLimiter(noQueryLimits)) {
    this.#tenant = tenant;
    this.#deps = deps;
    this.#limiter = limiter;
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    return new IngestersQuerier(this.#tenant, this.#deps, this.#limiter, mint, maxt);
  }
}

class IngestersQuerier implements Querier {
  readonly #tenant: string;
  readonly #deps: IngestersQueryableDeps;
  readonly #limiter: QueryLimiter;
  readonly #mint: number;
  readonly #maxt: number;

  constructor(tenant: string, deps: IngestersQueryableDeps, limiter: QueryLimiter, mint: number, maxt: number) {
    this.#tenant = tenant;
    this.#deps = deps;
    this.#limiter = limiter;
    this.#mint = mint;
    this.#maxt = maxt;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const start = Math.max(this.#mint, hints.start);
    const end = Math.min(this.#maxt, hints.end);
    const limiter = this.#limiter;
    if (hints.func === 'series') return lazySeriesSet(() => this.#labelsOnly(start, end, matchers));
    return lazySeriesSet(async () => {
      const warnings: string[] = [];
      const answers = await fanOut(this.#deps, (conn, deadline) => queryStream(conn, this.#tenant, start, end, matchers, deadline, limiter), limiter,
        limiter.partialResponse ? (w) => warnings.push(w) : undefined);
      // partial_response: the series only the unreachable ingesters hold are left out, and the answer says which ingesters.
      return withWarnings(seriesSetOf(mergeReplicas(answers, start, end)), warnings);
    });
  }

  /**
   * The series API reads labels only (as Cortex's querier): MetricsForLabelMatchers instead of
   * QueryStream, so no ingester copies chunks that nobody reads. The RF replicas of a series are
   * kept once; series in label order, without samples.
   */
  async #labelsOnly(start: number, end: number, matchers: Matcher[]): Promise<SeriesSet> {
    const limiter = this.#limiter;
    const req = { startTimestampMs: start, endTimestampMs: end, matchersSet: [{ matchers: matchersToWire(matchers) }], limits: fetchLimitsToWire(limiter.limits) };
    const warnings: string[] = [];
    const answers = await fanOut(this.#deps, (conn, deadline) => unary<MetricsForLabelMatchersResponse>((cb) =>
      conn.client.metricsForLabelMatchers(req, tenantMetadata(this.#tenant), { deadline }, cb)).catch((err: unknown) => rethrowLimit(err, limiter)),
    limiter, limiter.partialResponse ? (w) => warnings.push(w) : undefined);
    const byKey = new Map<string, Labels>();
    for (const a of answers) {
      for (const m of a.metric) {
        const ls = labelsFromWire(m.labels);
        if (byKey.has(ls.key)) continue;
        limiter.addSeries(ls);
        byKey.set(ls.key, ls);
      }
    }
    const series = [...byKey.values()].sort(Labels.compare).map((ls) => new ChunksSeries(ls, noChunks, start, end));
    return withWarnings(seriesSetOf(series), warnings);
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const req = { startTimestampMs: this.#mint, endTimestampMs: this.#maxt, matchers: matchersToWire(matchers), limit: hints.limit };
    const answers = await fanOut(this.#deps, (conn, deadline) => unary<LabelNamesResponse>((cb) =>
      conn.client.labelNames(req, tenantMetadata(this.#tenant), { deadline }, cb)));
    return mergeLabelLists(answers.map((a) => a.labelNames), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const req = { labelName: name, startTimestampMs: this.#mint, endTimestampMs: this.#maxt, matchers: matchersToWire(matchers), limit: hints.limit };
    const answers = await fanOut(this.#deps, (conn, deadline) => unary<LabelValuesResponse>((cb) =>
      conn.client.labelValues(req, tenantMetadata(this.#tenant), { deadline }, cb)));
    return mergeLabelLists(answers.map((a) => a.labelValues), hints.limit);
  }

  async close(): Promise<void> {}
}

/**
 * Calls every healthy ingester; fails once more than the ring tolerates failed (one of three with
 * RF=3: every series still answers from two replicas), and at once when the query passed a limit
 * (every call in flight is cancelled by then). With `partial` (partial_response), too many failures
 * answer with what the others returned, and `partial` gets a warning naming the failed ingesters.
 */
export async function fanOut<T>(deps: IngestersQueryableDeps, call: (conn: IngesterConn, deadline: number) => Promise<T>, limiter?: QueryLimiter,
  partial?: (warning: string) => void): Promise<T[]> {
  const set = readSet(deps.ring, partial !== undefined);
  const deadline = Date.now() + deps.timeout;
  const results = await Promise.allSettled(set.instances.map((inst: InstanceDesc) => call(deps.client(inst.addr), deadline)));
  if (limiter?.signal.aborted === true) throw limiter.signal.reason;
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ inst: set.instances[i], reason: r.reason as Error }] : []));
  if (failed.length > set.maxErrors) {
    const what = `${failed.length} of ${set.instances.length} failed (at most ${Math.max(0, set.maxErrors)} may)`;
    if (partial === undefined) throw new Error(`query ingesters: ${what}: ${failed[0].reason.message}`);
    const names = failed.map((f) => (f.inst.id ? `${f.inst.id} (${f.inst.addr})` : f.inst.addr));
    partial(`partial response: ingesters unreachable, ${what}: ${names.join(', ')}: ${failed[0].reason.message}`);
  }
  return results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value);
}

/**
 * The ingesters to ask. When the ring has too few healthy ones (the dead ones' heartbeats expired),
 * partial_response asks every ingester of the ring: those that answer are the partial answer.
 */
function readSet(ring: ReadRing, partial: boolean): ReplicationSet {
  try {
    return ring.getReplicationSetForOperation(Read);
  } catch (err) {
    if (!partial || !(err instanceof TooFewHealthyInstancesError)) throw err;
    const instances = [...ring.snapshot().instances];
    return { instances, maxErrors: instances.length - err.needed };
  }
}

/** One metric's metadata as the Prometheus API shows it. */
export interface MetricMetadataEntry {
  type: string;
  help: string;
  unit: string;
}

/**
 * The tenants' metric metadata from every healthy ingester (Cortex's MetricsMetadata): each metric
 * with its distinct (type, help, unit) entries, as the RF replicas repeat them and different
 * Prometheus servers may send different help texts for one metric.
 */
export async function ingestersMetadata(tenants: readonly string[], deps: IngestersQueryableDeps): Promise<Record<string, MetricMetadataEntry[]>> {
  const answers = (await Promise.all(tenants.map((tenant) => fanOut(deps, (conn, deadline) => unary<MetricsMetadataResponse>((cb) =>
    conn.client.metricsMetadata({}, tenantMetadata(tenant), { deadline }, cb)))))).flat();
  const out: Record<string, MetricMetadataEntry[]> = {};
  const seen = new Set<string>();
  for (const m of answers.flatMap((a) => a.metadata)) {
    const entry = { type: metricMetadata_MetricTypeToJSON(m.type).toLowerCase(), help: m.help, unit: m.unit };
    const key = JSON.stringify([m.metricFamilyName, entry.type, entry.help, entry.unit]);
    if (seen.has(key)) continue;
    seen.add(key);
    (out[m.metricFamilyName] ??= []).push(entry);
  }
  return out;
}

/** One series' exemplars as the Prometheus API shows them (query_exemplars). */
export interface SeriesExemplarsEntry {
  seriesLabels: Labels;
  exemplars: { labels: Labels; value: number; ts: number }[];
}

/**
 * The exemplars of the series matching any matcher set, from every healthy ingester (Cortex's
 * QueryExemplars): the RF replicas of a series are merged into one time-ordered list without
 * repeats, series in label order. With several tenants each series gets `tenantLabel` naming its
 * tenant.
 */
export async function ingestersExemplars(tenants: readonly string[], deps: IngestersQueryableDeps, start: number, end: number,
  matcherSets: readonly Matcher[][], tenantLabel: string): Promise<SeriesExemplarsEntry[]> {
  const req = { startTimestampMs: start, endTimestampMs: end, matchers: matcherSets.map((ms) => ({ matchers: matchersToWire(ms) })) };
  const bySeries = new Map<string, { seriesLabels: Labels; exemplars: Map<string, WireExemplar> }>();
  for (const tenant of tenants) {
    const answers = await fanOut(deps, (conn, deadline) => unary<ExemplarQueryResponse>((cb) =>
      conn.client.queryExemplars(req, tenantMetadata(tenant), { deadline }, cb)));
    for (const ts of answers.flatMap((a) => a.timeseries)) {
      const pairs = ts.labels.flatMap((l) => [l.name, l.value]);
      if (tenants.length > 1) pairs.push(tenantLabel, tenant);
      const seriesLabels = Labels.fromPairs(pairs);
      let entry = bySeries.get(seriesLabels.key);
      if (entry === undefined) bySeries.set(seriesLabels.key, (entry = { seriesLabels, exemplars: new Map() }));
      // Replicas hold the same exemplars: one of each (time, value, labels) is kept.
      for (const e of ts.exemplars) entry.exemplars.set(JSON.stringify([e.timestamp, e.value, e.labels]), e);
    }
  }
  return [...bySeries.values()]
    .map(({ seriesLabels, exemplars }) => ({
      seriesLabels,
      exemplars: [...exemplars.values()]
        .sort((a, b) => a.timestamp - b.timestamp)
        .map((e) => ({ labels: Labels.fromPairs(e.labels.flatMap((l) => [l.name, l.value])), value: e.value, ts: e.timestamp })),
    }))
    .sort((a, b) => Labels.compare(a.seriesLabels, b.seriesLabels));
}

export function unary<T>(fn: (cb: (err: ServiceError | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/**
 * The chunk series one ingester holds for a query (QueryStream, read with pkg/wire's
 * QueryStreamReader). Each message is counted against the query's limits as it arrives; the call
 * is cancelled as soon as the query passed one (here or in another call), and the ingester, which
 * got the limits too, ends its stream with RESOURCE_EXHAUSTED once its own answer passes them.
 */
function queryStream(conn: IngesterConn, tenant: string, start: number, end: number, matchers: Matcher[], deadline: number,
  limiter: QueryLimiter): Promise<BlockChunkSeries[]> {
  return new Promise((resolve, reject) => {
    const out: BlockChunkSeries[] = [];
    const reader = new QueryStreamReader();
    const req: QueryRequest = {
      startTimestampMs: start, endTimestampMs: end, matchers: matchersToWire(matchers), streamSamples: false, limits: fetchLimitsToWire(limiter.limits),
    };
    const call = conn.client.makeServerStreamRequest(IngesterService.queryStream.path, encodeQueryRequest, rawMessage, req, tenantMetadata(tenant), { deadline });
    const cancel = (): void => call.cancel();
    limiter.signal.addEventListener('abort', cancel, { once: true });
    const settle = (): void => limiter.signal.removeEventListener('abort', cancel);
    call.on('data', (msg: Buffer) => {
      try {
        for (const s of reader.read(msg)) {
          const labels = Labels.fromPairs(s.pairs);
          countSeries(limiter, labels, s);
          out.push(new BlockChunkSeries(labels, s.minTs, s.maxTs, s.encodings, s.data));
        }
      } catch (err) {
        call.cancel();
        settle();
        reject(err instanceof QueryLimitError ? err : new Error(`read QueryStream of ingester ${conn.addr}`, { cause: err }));
      }
    });
    call.on('error', (err: ServiceError) => {
      settle();
      try {
        rethrowLimit(err, limiter);
      } catch (e) {
        reject(e);
      }
    });
    call.on('end', () => {
      settle();
      resolve(out);
    });
  });
}

/** An ingester's RESOURCE_EXHAUSTED is the query's limit: the limiter fails the query with it; other errors as they are. */
function rethrowLimit(err: unknown, limiter: QueryLimiter): never {
  const e = err as ServiceError;
  const limit = e.code === status.RESOURCE_EXHAUSTED ? QueryLimitError.fromMessage(e.details) : undefined;
  if (limit === undefined) throw err;
  limiter.fail(limit);
}

const noChunks = { bytes: [], counts: [], minTs: [], maxTs: [], encodings: [] };

/** Counts one series of a QueryStream answer against the query's limits. */
function countSeries(limiter: QueryLimiter, labels: Labels, s: WireChunkSeries): void {
  let bytes = 0;
  for (const d of s.data) bytes += d.length;
  let labelBytes = 0;
  for (const p of s.pairs) labelBytes += p.length;
  limiter.addFetchedSeries(labels, s.data.length, bytes, labelBytes);
}

const encodeQueryRequest = (r: QueryRequest): Buffer => Buffer.from(QueryRequest.encode(r).finish());
const rawMessage = (b: Buffer): Buffer => b;

/**
 * Groups the replicas of each series, merges their chunks, and returns the series in label order.
 * One answer (RF=1, or one ingester left) has each series once and chunks that never overlap: its
 * series pass through without the grouping key, the chunk copies and the merge.
 */
function mergeReplicas(answers: BlockChunkSeries[][], mint: number, maxt: number): Series[] {
  if (answers.length === 1) return inLabelOrder(answers[0].map((s) => new ChunksSeries(s.labels, s, mint, maxt)));
  const groups = new Map<string, ChunkSeries[]>();
  for (const s of answers.flat()) {
    const g = groups.get(s.labels.key);
    if (g === undefined) groups.set(s.labels.key, [s]);
    else g.push(s);
  }
  return [...groups.values()]
    .map((g) => {
      const merged = mergeOverlappingChunks(g);
      return new ChunksSeries(merged.labels, merged, mint, maxt);
    })
    .sort((a, b) => Labels.compare(a.labels, b.labels));
}

/** `series` sorted by labels; an ingester usually answers in order already, which is checked, not assumed. */
function inLabelOrder(series: Series[]): Series[] {
  for (let i = 1; i < series.length; i++) {
    if (Labels.compare(series[i - 1].labels, series[i].labels) > 0) return series.sort((a, b) => Labels.compare(a.labels, b.labels));
  }
  return series;
}

