// The StoreGateway gRPC service over a BucketStore. Each call is for one tenant (x-scope-orgid) and
// answers from the named blocks this store-gateway holds; `queried_blocks` lists those it read
// completely. A block whose objects vanished from the bucket is left out (and dropped), so the
// querier asks elsewhere or fails its consistency check instead of getting a half answer.
import { status, type Metadata, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type {
  LabelNamesRequest,
  LabelNamesResponse,
  LabelValuesRequest,
  LabelValuesResponse,
  SeriesRequest,
  SeriesResponse,
  StoreGatewayServer,
  StoredSeries,
} from '../generated/myelin/storegateway.js';
import type { Logger } from '../log/index.js';
import { compareStrings, type Matcher } from '../model/labels/index.js';
import { limitLabels, type ChunkSeries } from '../storage/index.js';
import { orgIdFromMetadata, tenantIdProblem } from '../tenant/index.js';
import type { Block } from '../tsdb/block/index.js';
import type { BucketStore } from './bucket-store.js';
import { QueryLimitError, QueryLimiter } from '../limits/index.js';
import { failStream } from '../server/index.js';
import { countStoredSeries, fetchLimitsFromWire, labelsToWire, matchersFromWire } from '../wire/index.js';

/** Series per streamed message. */
const SERIES_BATCH = 256;

class CallError extends Error {
  readonly grpcCode: status;
  constructor(code: status, message: string) {
    super(message);
    this.grpcCode = code;
  }
}

function tenantOf(md: Metadata): string {
  const t = orgIdFromMetadata(md);
  if (t === undefined) throw new CallError(status.UNAUTHENTICATED, 'no tenant ID in the request metadata');
  const problem = tenantIdProblem(t);
  if (problem !== undefined) throw new CallError(status.INVALID_ARGUMENT, problem);
  return t;
}

function parseMatchers(req: { matchers: SeriesRequest['matchers'] }): Matcher[] {
  try {
    return matchersFromWire(req.matchers);
  } catch (err) {
    throw new CallError(status.INVALID_ARGUMENT, `bad matchers: ${(err as Error).message}`);
  }
}

function toGrpcError(err: unknown): { code: status; details: string } {
  if (err instanceof CallError) return { code: err.grpcCode, details: err.message };
  if (err instanceof QueryLimitError) return { code: status.RESOURCE_EXHAUSTED, details: err.message };
  return { code: status.INTERNAL, details: (err as Error).message ?? String(err) };
}

/** A series and its chunks (none when the block was selected for labels only: skipChunks). */
function seriesToWire(s: ChunkSeries): StoredSeries {
  const out: StoredSeries = { labels: labelsToWire(s.labels), chunks: [] };
  const it = s.chunks();
  while (it.next()) {
    const c = it.at();
    out.chunks.push({ minTime: c.minT, maxTime: c.maxT, encoding: c.encoding, data: c.bytes as Buffer });
  }
  const err = it.err();
  if (err !== undefined) throw err;
  return out;
}

export function storeGatewayHandlers(store: BucketStore, isObjNotFound: (err: unknown) => boolean, log: Logger): StoreGatewayServer {
  /** Runs `fn` per block; a block gone from the bucket is dropped and left out of the result. */
  async function eachBlock(tenant: string, blocks: Block[], fn: (b: Block) => Promise<void>): Promise<string[]> {
    const queried: string[] = [];
    for (const b of blocks) {
      try {
        await fn(b);
        queried.push(b.meta.ulid);
      } catch (err) {
        if (err instanceof QueryLimitError) throw err;
        // A block dropped by a sync while the call ran is simply not reported as queried.
        if (!store.holds(tenant, b.meta.ulid)) continue;
        if (!isObjNotFound(err)) throw new Error(`query block ${b.meta.ulid} of tenant ${tenant}`, { cause: err });
        await store.blockVanished(tenant, b.meta.ulid);
      }
    }
    return queried;
  }

  async function series(call: ServerWritableStream<SeriesRequest, SeriesResponse>): Promise<void> {
    const req = call.request;
    const tenant = tenantOf(call.metadata);
    const q = { mint: req.minTime, maxt: req.maxTime, matchers: parseMatchers(req), blockIds: req.blockIds, skipChunks: req.skipChunks };
    // Stops reading as soon as this answer passes one of the query's limits.
    const budget = new QueryLimiter(fetchLimitsFromWire(req.limits));
    const count = (s: ChunkSeries, out: StoredSeries): StoredSeries => {
      countStoredSeries(budget, out, s.labels);
      return out;
    };
    let batch: StoredSeries[] = [];
    const flush = async () => {
      const msg: SeriesResponse = { series: batch, queriedBlocks: [] };
      batch = [];
      if (!call.write(msg)) await new Promise<void>((resolve) => call.once('drain', resolve));
    };
    const queried = await eachBlock(tenant, store.blocksFor(tenant, req.blockIds, q.mint, q.maxt), async (b) => {
      const pending: StoredSeries[] = [];
      await store.blockSeries(b, q, (s) => void pending.push(count(s, seriesToWire(s))));
      // A block's series go out only once the block was read completely.
      for (const s of pending) {
        batch.push(s);
        if (batch.length >= SERIES_BATCH) await flush();
      }
    });
    call.write({ series: batch, queriedBlocks: queried });
    call.end();
  }

  /** The union over the blocks, cut to the request's limit: each block gives its first `limit`, which hold the union's. */
  async function labels(md: Metadata, req: { minTime: number; maxTime: number; matchers: SeriesRequest['matchers']; blockIds: string[]; limit: number },
    get: (b: Block, ms: Matcher[]) => Promise<string[]>): Promise<{ values: string[]; queriedBlocks: string[] }> {
    const tenant = tenantOf(md);
    const ms = parseMatchers(req);
    const all = new Set<string>();
    const queriedBlocks = await eachBlock(tenant, store.blocksFor(tenant, req.blockIds, req.minTime, req.maxTime), async (b) => {
      for (const v of await get(b, ms)) all.add(v);
    });
    return { values: limitLabels([...all].sort(compareStrings), req.limit), queriedBlocks };
  }

  const unary = <Req, Res>(fn: (call: ServerUnaryCall<Req, Res>) => Promise<Res>) => (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
    fn(call).then(
      (res) => cb(null, res),
      (err: unknown) => {
        if (!(err instanceof CallError)) log.error({ err }, 'store-gateway call');
        cb(toGrpcError(err));
      },
    );
  };

  return {
    series: (call: ServerWritableStream<SeriesRequest, SeriesResponse>) => {
      series(call).catch((err: unknown) => {
        if (!(err instanceof CallError) && !(err instanceof QueryLimitError)) log.error({ err }, 'store-gateway series call');
        failStream(call, toGrpcError(err));
      });
    },
    labelNames: unary<LabelNamesRequest, LabelNamesResponse>(async (call) => {
      const r = call.request;
      const { values, queriedBlocks } = await labels(call.metadata, r, (b, ms) => store.blockLabels(b, r.minTime, r.maxTime, ms, undefined, r.limit));
      return { names: values, queriedBlocks };
    }),
    labelValues: unary<LabelValuesRequest, LabelValuesResponse>(async (call) => {
      const r = call.request;
      const { values, queriedBlocks } = await labels(call.metadata, r, (b, ms) => store.blockLabels(b, r.minTime, r.maxTime, ms, r.labelName, r.limit));
      return { values, queriedBlocks };
    }),
  };
}
