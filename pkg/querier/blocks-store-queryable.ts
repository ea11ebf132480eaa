// The querier's view of long-term storage (Cortex blocksStoreQueryable): for a tenant and a time
// range, the blocks come from the tenant's bucket index; each block is asked of a store-gateway
// that owns it (store-gateway ring), and every block must be answered by someone: blocks left
// unqueried are retried on other owners, and the query fails when some remain. The query's
// limits on fetched series, chunks and bytes are counted as each message arrives; the store-gateways
// get them too and stop streaming early.
import type { Registry } from 'prom-client';
import { tenantBucketReader, type BucketReader } from '../bucket/index.js';
import { CachedBucketIndexReader, blocksInRange, type BucketIndex } from '../bucket-index/index.js';
import { sharedCounter } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import type { Matcher } from '../model/labels/index.js';
import { lazySeriesSet, mergeLabelLists } from '../storage/index.js';
import type { RingSnapshot } from '../ring/index.js';
import type { LabelHints, Querier, Queryable, SelectHints, SeriesSet } from '../storage/index.js';
import { blockOwners } from '../store-gateway/index.js';
import type { StoreGatewayClients } from '../store-gateway/client/index.js';
import { QueryLimitError, QueryLimiter, noQueryLimits } from '../limits/index.js';
import { countStoredSeries, fetchLimitsToWire, matchersToWire } from '../wire/index.js';
import { storeSeriesSet } from './blocks-store-series.js';
import { withWarnings } from './with-warnings.js';

/** Some blocks could not be queried on any store-gateway. */
export class BlocksConsistencyError extends Error {
  readonly code = 'BLOCKS_NOT_QUERIED';
  readonly missing: readonly string[];
  constructor(missing: string[], cause?: unknown) {
    super(`consistency check failed because some blocks were not queried: ${missing.join(' ')}`, { cause });
    this.name = 'BlocksConsistencyError';
    this.missing = missing;
  }
}

export interface BlocksStoreQueryableDeps {
  bucket: BucketReader;
  /** The store-gateway ring as the querier sees it (a Ring client's current snapshot). */
  ringSnapshot: () => RingSnapshot;
  replicationFactor: number;
  heartbeatTimeout: number;
  clients: StoreGatewayClients;
  logger: Logger;
  registry: Registry;
  /**
   * Blocks marked for deletion less than this long ago are still queried (-blocks-storage.bucket-
   * store.ignore-deletion-marks-delay): store-gateways keep serving them as long, so a compacted
   * block's sources answer until every store-gateway loaded it.
   */
  ignoreDeletionMarksDelay: number;
  /** Blocks uploaded less than this long ago may be missed: store-gateways may not have loaded them yet (Cortex: 3 sync intervals). */
  uploadGracePeriod: number;
  now?: () => number;
}

/** The blocks a query asks store-gateways for, and those of them it may miss without failing. */
export interface BlocksToQuery {
  ids: string[];
  optional: ReadonlySet<string>;
}

/** Store-gateways asked per block before giving up (Cortex' maxFetchSeriesAttempts). */
const MAX_ATTEMPTS = 3;

export class BlocksStoreQueryable {
  readonly #deps: BlocksStoreQueryableDeps;
  readonly #log: Logger;
  readonly #consistencyFailures;
  readonly #retries;
  readonly #indexes = new CachedBucketIndexReader();

  constructor(deps: BlocksStoreQueryableDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'blocks-store-queryable' });
    this.#consistencyFailures = sharedCounter(deps.registry, {
      name: 'myelin_querier_blocks_consistency_checks_failed_total',
      help: 'Queries that failed because some blocks could not be queried on any store-gateway.',
      labelNames: [],
    });
    this.#retries = sharedCounter(deps.registry, {
      name: 'myelin_querier_storegateway_refetches_total',
      help: 'Blocks asked again of another store-gateway because the first did not serve them.',
      labelNames: [],
    });
  }

  /** The Queryable of one tenant; `limiter` is the query's budget, shared with the other queryables the query reads. */
  forTenant(tenant: string, limiter = new QueryLimiter(noQueryLimits)): Queryable {
    return { querier: async (mint, maxt) => new BlocksStoreQuerier(this, tenant, limiter, mint, maxt) };
  }

  async #index(tenant: string): Promise<BucketIndex | undefined> {
    return this.#indexes.read(tenantBucketReader(this.#deps.bucket, tenant), tenant);
  }

  /**
   * Blocks of the tenant overlapping [mint, maxt], but for those marked for deletion longer than
   * ignoreDeletionMarksDelay ago (Cortex's consistency check): a block uploaded within the upload
   * grace period may be missed (its data is still in the ingesters, or in the sources of a
   * compaction), and so may a block marked more than half the delay ago (a store-gateway may have
   * dropped it already).
   */
  async blocksFor(tenant: string, mint: number, maxt: number): Promise<BlocksToQuery> {
    const idx = await this.#index(tenant);
    if (idx === undefined) return { ids: [], optional: new Set() };
    const now = (this.#deps.now ?? Date.now)();
    const markedAt = new Map(idx.block_deletion_marks.map((m) => [m.block_id, m.deletion_time * 1000]));
    const ids: string[] = [];
    const optional = new Set<string>();
    for (const b of blocksInRange(idx, mint, maxt)) {
      const marked = markedAt.get(b.block_id);
      if (marked !== undefined && now - marked > this.#deps.ignoreDeletionMarksDelay) continue;
      ids.push(b.block_id);
      const recent = now - b.uploaded_at * 1000 < this.#deps.uploadGracePeriod;
      const leaving = marked !== undefined && now - marked > this.#deps.ignoreDeletionMarksDelay / 2;
      if (recent || leaving) optional.add(b.block_id);
    }
    return { ids, optional };
  }

  /**
   * Calls `ask` on store-gateways until every block was queried: each round groups the blocks left
   * by their first owner not tried yet for that block. Returns the results of the calls. Blocks
   * no store-gateway served fail the fetch, or with `partial` (partial_response) go to `partial`.
   */
  async fetch<R extends { queriedBlocks: string[] }>(blocks: BlocksToQuery, ask: (addr: string, blocks: string[]) => Promise<R>, signal?: AbortSignal,
    partial?: (missing: BlocksConsistencyError) => void): Promise<R[]> {
    const results: R[] = [];
    const tried = new Map<string, Set<string>>(blocks.ids.map((b) => [b, new Set()]));
    let remaining = blocks.ids;
    let lastErr: unknown;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && remaining.length > 0; attempt++) {
      if (attempt > 0) this.#retries.inc(remaining.length);
      const byAddr = this.#assign(remaining, tried);
      if (byAddr.size === 0) break;
      const done = new Set<string>();
      await Promise.all(
        [...byAddr].map(async ([addr, ids]) => {
          try {
            const r = await ask(addr, ids);
            results.push(r);
            for (const b of r.queriedBlocks) done.add(b);
          } catch (err) {
            if (err instanceof QueryLimitError) throw err;
            if (signal?.aborted === true) throw signal.reason;
            lastErr = err;
            this.#log.warn({ addr, blocks: ids.length, err }, 'store-gateway call failed; trying other replicas');
          }
        }),
      );
      remaining = remaining.filter((b) => !done.has(b));
    }
    const missing = remaining.filter((b) => !blocks.optional.has(b));
    if (missing.length > 0) {
      this.#consistencyFailures.inc();
      const err = new BlocksConsistencyError(missing, lastErr);
      if (partial === undefined) throw err;
      partial(err);
    }
    return results;
  }

  #assign(blocks: string[], tried: Map<string, Set<string>>): Map<string, string[]> {
    const snap = this.#deps.ringSnapshot();
    const lookup = {
      replicationFactor: this.#deps.replicationFactor,
      heartbeatTimeout: this.#deps.heartbeatTimeout,
      now: (this.#deps.now ?? Date.now)(),
      purpose: 'read' as const,
    };
    const byAddr = new Map<string, string[]>();
    for (const b of blocks) {
      const seen = tried.get(b) as Set<string>;
      const owner = blockOwners(snap, b, lookup).find((o) => !seen.has(o.addr));
      if (owner === undefined) continue;
      seen.add(owner.addr);
      let list = byAddr.get(owner.addr);
      if (list === undefined) byAddr.set(owner.addr, (list = []));
      list.push(b);
    }
    return byAddr;
  }

  get clients(): StoreGatewayClients {
    return this.#deps.clients;
  }
}

class BlocksStoreQuerier implements Querier {
  readonly #q: BlocksStoreQueryable;
  readonly #tenant: string;
  readonly #limiter: QueryLimiter;
  readonly #mint: number;
  readonly #maxt: number;

  constructor(q: BlocksStoreQueryable, tenant: string, limiter: QueryLimiter, mint: number, maxt: number) {
    this.#q = q;
    this.#tenant = tenant;
    this.#limiter = limiter;
    this.#mint = mint;
    this.#maxt = maxt;
  }

  select(hints: SelectHints, ...matchers: Matcher[]): SeriesSet {
    const mint = Math.max(this.#mint, hints.start);
    const maxt = Math.min(this.#maxt, hints.end);
    return lazySeriesSet(() => this.#select(mint, maxt, matchers, hints.func === 'series'));
  }

  /** `labelsOnly`: the series API's read, whose series come without chunks (Cortex's SkipChunks). */
  async #select(mint: number, maxt: number, matchers: Matcher[], labelsOnly: boolean): Promise<SeriesSet> {
    const blocks = await this.#q.blocksFor(this.#tenant, mint, maxt);
    const limiter = this.#limiter;
    const req = { minTime: mint, maxTime: maxt, matchers: matchersToWire(matchers), skipChunks: labelsOnly, limits: fetchLimitsToWire(limiter.limits) };
    const warnings: string[] = [];
    // Counted per message as it arrives; every call is cancelled once the query passed a limit.
    const results = await this.#q.fetch(blocks, async (addr, ids) => {
      try {
        return await this.#q.clients.series(addr, this.#tenant, { ...req, blockIds: ids }, (batch) => {
          for (const s of batch) countStoredSeries(limiter, s);
        }, limiter.signal);
      } catch (err) {
        // A limit a store-gateway reported ends the query's other calls too.
        if (err instanceof QueryLimitError) limiter.fail(err);
        throw err;
      }
    }, limiter.signal, limiter.partialResponse ? (err) => warnings.push(`partial response: ${err.message}`) : undefined);
    const set = storeSeriesSet(results.map((r) => r.series), mint, maxt, labelsOnly);
    // partial_response: the blocks no store-gateway served are left out, and the answer says which.
    return withWarnings(set, warnings);
  }

  async labelNames(hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const blocks = await this.#q.blocksFor(this.#tenant, this.#mint, this.#maxt);
    const wire = matchersToWire(matchers);
    const results = await this.#q.fetch(blocks, (addr, ids) =>
      this.#q.clients.labelNames(addr, this.#tenant, { minTime: this.#mint, maxTime: this.#maxt, matchers: wire, blockIds: ids, limit: hints.limit }),
    );
    return mergeLabelLists(results.map((r) => r.values), hints.limit);
  }

  async labelValues(name: string, hints: LabelHints, ...matchers: Matcher[]): Promise<string[]> {
    const blocks = await this.#q.blocksFor(this.#tenant, this.#mint, this.#maxt);
    const wire = matchersToWire(matchers);
    const results = await this.#q.fetch(blocks, (addr, ids) =>
      this.#q.clients.labelValues(addr, this.#tenant, { labelName: name, minTime: this.#mint, maxTime: this.#maxt, matchers: wire, blockIds: ids, limit: hints.limit }),
    );
    return mergeLabelLists(results.map((r) => r.values), hints.limit);
  }

  async close(): Promise<void> {}
}
