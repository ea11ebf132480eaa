import { status } from '@grpc/grpc-js';
import type { handleServerStreamingCall, handleUnaryCall, Metadata, sendUnaryData, ServerReadableStream, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { IngesterService, QueryStreamResponse } from '../generated/myelin/ingester.js';
import type {
  Chunk, ExemplarQueryRequest, ExemplarQueryResponse, IngesterServer, WriteResponse, LabelNamesRequest, TransferChunksResponse, UserStatsRequest, UsersStatsResponse, LabelValuesRequest, MetricsForLabelMatchersRequest, QueryRequest,
  TimeSeriesChunk,
} from '../generated/myelin/ingester.js';
import type { Histogram as WireHistogram, TimeSeries } from '../generated/prometheus/types.js';
import type { Labels, Matcher } from '../model/labels/index.js';
import { MatchType, Matcher as LabelMatcher } from '../model/labels/index.js';
import type { ChunkSeries, SelectHints } from '../storage/index.js';
import { ValueType } from '../storage/index.js';
import { orgIdFromMetadata } from '../tenant/index.js';
import type { TenantResolver } from '../tenant/index.js';
import { BytesPerSample, QueryLimitError, QueryLimiter } from '../limits/index.js';
import { failStream } from '../server/index.js';
import { QueryStreamWriter, fetchLimitsFromWire, histogramToWire, labelsToWire, matchersFromWire } from '../wire/index.js';
import type { Ingester } from './ingester.js';
import { TimeSlicer } from '../workers/index.js';
import { PushError } from './push-error.js';
import { writtenTrailers } from './client/index.js';
import { cardinalityFailure, cardinalityHandlers } from './cardinality-service.js';
import type { TransferReceiver } from './transfer.js';

/** Series per QueryStream message (Cortex: 128). */
const seriesPerBatch = 128;

type Fail = { code: status; details: string; metadata?: Metadata };

function failure(err: unknown): Fail {
  const tooLarge = cardinalityFailure(err);
  if (tooLarge !== undefined) return tooLarge;
  if (err instanceof PushError) return { code: err.code, details: err.message, metadata: err.written === undefined ? undefined : writtenTrailers(err.written) };
  if (err instanceof QueryLimitError) return { code: status.RESOURCE_EXHAUSTED, details: err.message };
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/**
 * The ingester service definition with the hot calls on bytes: Push takes the request as it
 * arrived (the ingester decodes it into columns itself, pkg/wire), and QueryStream sends messages
 * it wrote itself (QueryStreamWriter) instead of ts-proto objects per series and label.
 */
export const ingesterServiceDefinition = {
  ...IngesterService,
  push: { ...IngesterService.push, requestDeserialize: (b: Buffer): Buffer => b },
  queryStream: { ...IngesterService.queryStream, responseSerialize: (b: Buffer): Buffer => b },
};

type IngesterHandlers = Omit<IngesterServer, 'push' | 'queryStream'> & {
  push: handleUnaryCall<Buffer, WriteResponse>;
  queryStream: handleServerStreamingCall<QueryRequest, Buffer>;
};

/** The ingester's gRPC service (proto/myelin/ingester.proto) over an Ingester; register it with ingesterServiceDefinition. */
export function ingesterGrpcService(ing: Ingester, tenants: TenantResolver, transfer: TransferReceiver): IngesterHandlers {
  const tenantOf = (call: { metadata: Metadata }) => tenants.tenant(orgIdFromMetadata(call.metadata));
  const unary = <Req, Res>(fn: (tenant: string, req: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
      let tenant: string;
      try {
        tenant = tenantOf(call);
      } catch (err) {
        cb({ code: status.UNAUTHENTICATED, details: (err as Error).message });
        return;
      }
      fn(tenant, call.request).then((res) => cb(null, res), (err: unknown) => cb(failure(err)));
    };

  const cardinality = cardinalityHandlers(ing);
  return {
    tsdbStatus: unary(cardinality.tsdbStatus),
    labelNamesAndValues: unary(cardinality.labelNamesAndValues),
    labelValuesCardinality: unary(cardinality.labelValuesCardinality),
    activeSeries: unary(cardinality.activeSeries),
    push: unary(async (tenant, body: Buffer) => {
      await ing.push(tenant, body);
      return {};
    }),
    queryStream: (call: ServerWritableStream<QueryRequest, Buffer>) => {
      streamQuery(ing, tenantOf(call), call).catch((err: unknown) => failStream(call, failure(err)));
    },
    query: unary(async (tenant, req: QueryRequest) => {
      const timeseries: TimeSeries[] = [];
      await forEachSeries(ing, tenant, req, (ls, s, histograms) => {
        timeseries.push({ labels: labelsToWire(ls), samples: s, exemplars: [], histograms });
      });
      return { timeseries };
    }),
    labelNames: unary(async (tenant, req: LabelNamesRequest) => {
      const q = await querierFor(ing, tenant, req.startTimestampMs, req.endTimestampMs);
      if (q === undefined) return { labelNames: [] };
      try {
        return { labelNames: await q.labelNames({ limit: req.limit }, ...parseLabelMatchers(req.matchers)) };
      } finally {
        await q.close();
      }
    }),
    labelValues: unary(async (tenant, req: LabelValuesRequest) => {
      const q = await querierFor(ing, tenant, req.startTimestampMs, req.endTimestampMs);
      if (q === undefined) return { labelValues: [] };
      try {
        return { labelValues: await q.labelValues(req.labelName, { limit: req.limit }, ...parseLabelMatchers(req.matchers)) };
      } finally {
        await q.close();
      }
    }),
    // The series API's read (labels only): bounded by the query's series limit, yielding to pushes.
    metricsForLabelMatchers: unary(async (tenant, req: MetricsForLabelMatchersRequest) => {
      const found: Labels[] = [];
      // Series of one select are distinct; only several matcher sets (rare) need their keys, which
      // a head series would then keep.
      const seen = req.matchersSet.length > 1 ? new Set<string>() : undefined;
      const q = await querierFor(ing, tenant, req.startTimestampMs, req.endTimestampMs);
      if (q === undefined) return { metric: [] };
      const budget = new QueryLimiter(fetchLimitsFromWire(req.limits));
      const slicer = new TimeSlicer();
      try {
        for (const set of req.matchersSet) {
          const ss = q.select(hints(req.startTimestampMs, req.endTimestampMs, 'series'), ...parseMatchers(set.matchers));
          while (await ss.next()) {
            await slicer.maybeYield();
            const ls = ss.at().labels;
            if (seen?.has(ls.key) === true) continue;
            seen?.add(ls.key);
            budget.addDistinctSeries();
            found.push(ls);
          }
          if (ss.err() !== undefined) throw ss.err();
        }
      } finally {
        await q.close();
      }
      return { metric: found.map((ls) => ({ labels: labelsToWire(ls) })) };
    }),
    metricsMetadata: unary(async (tenant) => ({ metadata: ing.metadata(tenant) })),
    queryExemplars: unary(async (tenant, req: ExemplarQueryRequest) => queryExemplars(ing, tenant, req)),
    userStats: unary(async (tenant) => ing.stats(tenant)),
    allUserStats: (_call: ServerUnaryCall<UserStatsRequest, UsersStatsResponse>, cb: sendUnaryData<UsersStatsResponse>) =>
      cb(null, { stats: ing.allUserStats() }),
    transferChunks: (call: ServerReadableStream<TimeSeriesChunk, TransferChunksResponse>, cb: sendUnaryData<TransferChunksResponse>) => {
      transfer.receive(call).then(() => cb(null, {}), (err: unknown) => cb(failure(err)));
    },
  };
}

/**
 * Select hints for a request's range. QueryStream does not sort (as Cortex): the querier groups
 * the RF replicas of each series and sorts once after merging, so sorting here is wasted work.
 */
const hints = (start: number, end: number, func = '', sortSeries = true): SelectHints => ({ start, end, step: 0, func, range: 0, sortSeries });

function parseMatchers(ms: Parameters<typeof matchersFromWire>[0]): Matcher[] {
  const out = parseLabelMatchers(ms);
  // No matchers would select nothing; an explicit "any name" selects every series.
  return out.length > 0 ? out : [new LabelMatcher(MatchType.Regexp, '__name__', '.*')];
}

/**
 * Matchers of a label names or values request, as sent: none means the head's whole index, read
 * from its postings (as Prometheus' head does), where "any name" would visit every series.
 */
function parseLabelMatchers(ms: Parameters<typeof matchersFromWire>[0]): Matcher[] {
  try {
    return matchersFromWire(ms);
  } catch (err) {
    throw PushError.invalid((err as Error).message);
  }
}

async function querierFor(ing: Ingester, tenant: string, mint: number, maxt: number) {
  const db = ing.tsdb(tenant);
  return db === undefined ? undefined : db.querier(mint, maxt);
}


/** Calls `fn` with the labels and samples of every series matching the request, in label order. */
async function forEachSeries(ing: Ingester, tenant: string, req: QueryRequest,
  fn: (ls: Labels, samples: { value: number; timestamp: number }[], histograms: WireHistogram[]) => void | Promise<void>): Promise<void> {
  const matchers = parseMatchers(req.matchers);
  const q = await querierFor(ing, tenant, req.startTimestampMs, req.endTimestampMs);
  if (q === undefined) return;
  try {
    const budget = new QueryLimiter(fetchLimitsFromWire(req.limits));
    const ss = q.select(hints(req.startTimestampMs, req.endTimestampMs), ...matchers);
    const slicer = new TimeSlicer();
    while (await ss.next()) {
      await slicer.maybeYield();
      const s = ss.at();
      budget.addDistinctSeries(); // a select yields each series once: no key per head series
      const samples: { value: number; timestamp: number }[] = [];
      const histograms: WireHistogram[] = [];
      const it = s.iterator();
      for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
        if (vt === ValueType.Float) samples.push({ value: it.atV(), timestamp: it.atT() });
        else if (vt === ValueType.Histogram) histograms.push(histogramToWire({ t: it.atT(), h: it.atHistogram(), fh: undefined }));
        else histograms.push(histogramToWire({ t: it.atT(), h: undefined, fh: it.atFloatHistogram() }));
      }
      if (it.err() !== undefined) throw it.err();
      budget.addDataBytes(labelBytes(s.labels) + (samples.length + histograms.length) * BytesPerSample);
      await fn(s.labels, samples, histograms);
    }
    if (ss.err() !== undefined) throw ss.err();
  } finally {
    await q.close();
  }
}

/** QueryExemplars: the tenant's stored exemplars of the series matching any matcher set, in [start, end]. */
function queryExemplars(ing: Ingester, tenant: string, req: ExemplarQueryRequest): ExemplarQueryResponse {
  const db = ing.tsdb(tenant);
  if (db === undefined || req.matchers.length === 0) return { timeseries: [] };
  const sets = req.matchers.map((set) => parseMatchers(set.matchers));
  const found = db.head.exemplars.select(req.startTimestampMs, req.endTimestampMs, sets);
  return {
    timeseries: found.map((s) => ({
      labels: labelsToWire(s.seriesLabels),
      samples: [],
      exemplars: s.exemplars.map((e) => ({ labels: labelsToWire(e.labels), value: e.value, timestamp: e.ts })),
      histograms: [],
    })),
  };
}

/** A series' chunks, copied: chunk views are only valid until the iterator's next one. */
function copiedChunks(s: ChunkSeries): { minT: number; maxT: number; encoding: number; bytes: Buffer }[] {
  const out: { minT: number; maxT: number; encoding: number; bytes: Buffer }[] = [];
  const it = s.chunks();
  while (it.next()) {
    const c = it.at();
    out.push({ minT: c.minT, maxT: c.maxT, encoding: c.encoding, bytes: Buffer.from(c.bytes) });
  }
  const err = it.err();
  if (err !== undefined) throw new Error(`read chunks of ${s.labels.toString()}`, { cause: err });
  return out;
}

/** A series' chunks as a TimeSeriesChunk message (transfers). */
export function seriesChunkToWire(s: ChunkSeries, fromIngesterId: string, userId: string): TimeSeriesChunk {
  const chunks: Chunk[] = copiedChunks(s).map((c) => ({ startTimestampMs: c.minT, endTimestampMs: c.maxT, encoding: c.encoding, data: c.bytes }));
  return { fromIngesterId, userId, labels: labelsToWire(s.labels), chunks };
}

/** Bytes of a series' label names and values, as the data-bytes limit counts them. */
function labelBytes(ls: Labels): number {
  let n = 0;
  ls.forEach((name, value) => (n += name.length + value.length));
  return n;
}

/**
 * QueryStream: batches of series as raw chunks (default) or samples, honouring back-pressure. The
 * stream ends with RESOURCE_EXHAUSTED as soon as what it sent passes one of the query's limits.
 */
async function streamQuery(ing: Ingester, tenant: string, call: ServerWritableStream<QueryRequest, Buffer>): Promise<void> {
  const req = call.request;
  const send = async (msg: Buffer) => {
    if (!call.write(msg)) await new Promise((resolve) => call.once('drain', resolve));
  };
  if (req.streamSamples) {
    let batch: TimeSeries[] = [];
    const sendBatch = () => send(Buffer.from(QueryStreamResponse.encode({ chunkseries: [], timeseries: batch }).finish()));
    await forEachSeries(ing, tenant, req, async (ls, samples, histograms) => {
      batch.push({ labels: labelsToWire(ls), samples, exemplars: [], histograms });
      if (batch.length >= seriesPerBatch) {
        await sendBatch();
        batch = [];
      }
    });
    if (batch.length > 0) await sendBatch();
    call.end();
    return;
  }
  const db = ing.tsdb(tenant);
  if (db === undefined) {
    call.end();
    return;
  }
  const matchers = parseMatchers(req.matchers);
  const q = await db.chunkQuerier(req.startTimestampMs, req.endTimestampMs);
  const budget = new QueryLimiter(fetchLimitsFromWire(req.limits));
  try {
    const ss = q.select(hints(req.startTimestampMs, req.endTimestampMs, '', false), ...matchers);
    const w = new QueryStreamWriter(ing.lifecycler.id, tenant);
    // Pushes share this thread: give it back every few ms of a long read.
    const slicer = new TimeSlicer();
    while (await ss.next()) {
      await slicer.maybeYield();
      const s = ss.at();
      const chunks = copiedChunks(s);
      let bytes = 0;
      for (const c of chunks) bytes += c.bytes.length;
      // A select yields each series once: counted without building a key for every head series.
      budget.addFetchedSeries(undefined, chunks.length, bytes, labelBytes(s.labels));
      w.add(s.labels, chunks);
      if (w.count >= seriesPerBatch) await send(w.finish());
    }
    if (ss.err() !== undefined) throw ss.err();
    if (w.count > 0) await send(w.finish());
    call.end();
  } finally {
    const { series, chunks } = budget.stats();
    ing.metrics.queriedSeries.observe(series);
    ing.metrics.queriedChunks.observe(chunks);
    await q.close();
  }
}
