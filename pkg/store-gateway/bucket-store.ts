// The blocks a store-gateway serves, per tenant: which to hold (from the bucket index and the
// ownership function), opening and closing them, and answering queries over the ones a request
// names. Ownership comes from outside (the ring), so this class knows nothing of sharding.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { tenantBucketReader, type BucketReader } from '../bucket/index.js';
import { listTenants, readBucketIndex } from '../bucket-index/index.js';
import { sharedCounter, sharedGauge } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import type { Matcher } from '../model/labels/index.js';
import type { ChunkSeries } from '../storage/index.js';
import type { Block, BlockMeta } from '../tsdb/block/index.js';
import { openBucketBlock, type BlockCaches } from './bucket-block.js';

/** Says whether this store-gateway should hold `block` of `tenant`. */
export type OwnsBlock = (tenant: string, block: string) => boolean;

export interface BucketStoreDeps {
  bucket: BucketReader;
  caches: BlockCaches;
  logger: Logger;
  registry: Registry;
  /** How long a block marked for deletion is still served (0: dropped at once). */
  ignoreDeletionMarksDelay?: number;
  now?: () => number;
}

export interface SeriesQuery {
  mint: number;
  maxt: number;
  matchers: Matcher[];
  blockIds: readonly string[];
  /** Labels only (the series API): the series come without chunks, none of which is read. */
  skipChunks?: boolean;
}

export class BucketStore {
  readonly #syncDir: string;
  readonly #deps: BucketStoreDeps;
  readonly #log: Logger;
  /** tenant → block id → open block. */
  readonly #tenants = new Map<string, Map<string, Block>>();
  readonly #loads;
  readonly #loadFailures;
  readonly #drops;
  readonly #loaded;
  #syncing: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(syncDir: string, deps: BucketStoreDeps) {
    this.#syncDir = syncDir;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'bucket-store' });
    const reg = deps.registry;
    this.#loads = sharedCounter(reg, { name: 'myelin_bucket_store_block_loads_total', help: 'Blocks opened by the store-gateway.', labelNames: [] });
    this.#loadFailures = sharedCounter(reg, {
      name: 'myelin_bucket_store_block_load_failures_total',
      help: 'Blocks the store-gateway failed to open (retried on the next sync).',
      labelNames: [],
    });
    this.#drops = sharedCounter(reg, { name: 'myelin_bucket_store_block_drops_total', help: 'Blocks closed by the store-gateway.', labelNames: [] });
    this.#loaded = sharedGauge(reg, { name: 'myelin_bucket_store_blocks_loaded', help: 'Blocks the store-gateway holds open.', labelNames: [] });
  }

  blockCount(): number {
    let n = 0;
    for (const m of this.#tenants.values()) n += m.size;
    return n;
  }

  /** Every held block's meta, by tenant (both sorted): the status page's view. */
  heldBlocks(): { tenant: string; blocks: BlockMeta[] }[] {
    return [...this.#tenants].sort(([a], [b]) => a.localeCompare(b)).map(([tenant, held]) => ({
      tenant,
      blocks: [...held.values()].map((b) => b.meta).sort((a, b) => a.minTime - b.minTime || a.ulid.localeCompare(b.ulid)),
    }));
  }

  /** Ids of the blocks held for `tenant`. */
  blockIds(tenant: string): string[] {
    return [...(this.#tenants.get(tenant)?.keys() ?? [])].sort();
  }

  /**
   * Brings the held blocks in line with the bucket indexes and `owns`: opens new ones, closes those
   * no longer listed, owned or present. A call made while a sync runs gets the next run, which
   * starts when the current one ends (callers arriving meanwhile share it), so the caller always
   * sees the bucket as it was after the call. A block that fails to open is logged and retried next
   * time; it never fails the sync.
   */
  sync(owns: OwnsBlock): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    if (this.#syncing === undefined) {
      this.#syncing = this.#sync(owns).finally(() => {
        this.#syncing = undefined;
      });
      return this.#syncing;
    }
    this.#queued = this.#syncing
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.sync(owns);
      });
    return this.#queued;
  }

  async #sync(owns: OwnsBlock): Promise<void> {
    const tenants = await listTenants(this.#deps.bucket);
    for (const tenant of tenants) {
      const tb = tenantBucketReader(this.#deps.bucket, tenant);
      let idx;
      try {
        idx = await readBucketIndex(tb, tenant);
      } catch (err) {
        this.#log.warn({ tenant, err }, 'reading bucket index; keeping the blocks held');
        continue;
      }
      // A block marked for deletion is dropped only once the mark is older than the delay: its
      // replacement (a compacted block) may not be loaded everywhere yet.
      const now = (this.#deps.now ?? Date.now)();
      const gone = new Set(idx?.block_deletion_marks.filter((m) => now - m.deletion_time * 1000 > (this.#deps.ignoreDeletionMarksDelay ?? 0)).map((m) => m.block_id));
      const wanted = new Set((idx?.blocks ?? []).map((b) => b.block_id).filter((id) => !gone.has(id) && owns(tenant, id)));
      await this.#apply(tenant, tb, wanted);
    }
    for (const tenant of [...this.#tenants.keys()]) if (!tenants.includes(tenant)) await this.#apply(tenant, undefined, new Set());
  }

  async #apply(tenant: string, tb: BucketReader | undefined, wanted: Set<string>): Promise<void> {
    let held = this.#tenants.get(tenant);
    for (const [id] of held ?? []) if (!wanted.has(id)) await this.#drop(tenant, id);
    // Dropping the last block forgets the tenant's map: look it up again (a compacted block that
    // replaces all of its sources must land in the live map, not the forgotten one).
    held = this.#tenants.get(tenant);
    if (tb === undefined) return;
    for (const id of wanted) {
      if (held?.has(id) === true) continue;
      try {
        const block = await openBucketBlock(tb, tenant, id, join(this.#syncDir, tenant, id), this.#deps.caches);
        if (held === undefined) this.#tenants.set(tenant, (held = new Map()));
        held.set(id, block);
        this.#loads.inc();
        this.#loaded.set(this.blockCount());
        this.#log.debug({ tenant, block: id }, 'block loaded');
      } catch (err) {
        this.#loadFailures.inc();
        this.#log.warn({ tenant, block: id, err }, 'loading block; will retry on the next sync');
      }
    }
  }

  /** Closes a block and removes its local files. Safe while queries still read it. */
  async #drop(tenant: string, id: string): Promise<void> {
    const held = this.#tenants.get(tenant);
    const block = held?.get(id);
    if (held === undefined || block === undefined) return;
    held.delete(id);
    if (held.size === 0) this.#tenants.delete(tenant);
    this.#drops.inc();
    this.#loaded.set(this.blockCount());
    try {
      await block.close();
      await rm(join(this.#syncDir, tenant, id), { recursive: true, force: true });
    } catch (err) {
      this.#log.warn({ tenant, block: id, err }, 'closing dropped block');
    }
    this.#log.debug({ tenant, block: id }, 'block dropped');
  }

  /** Forgets a block whose objects vanished from the bucket (seen by a query); the next sync settles it. */
  async blockVanished(tenant: string, id: string): Promise<void> {
    this.#log.warn({ tenant, block: id }, 'block objects missing from the bucket; dropping it');
    await this.#drop(tenant, id);
  }

  /** The held blocks among `ids` that overlap [mint, maxt]. */
  blocksFor(tenant: string, ids: readonly string[], mint: number, maxt: number): Block[] {
    const held = this.#tenants.get(tenant);
    if (held === undefined) return [];
    const out: Block[] = [];
    for (const id of ids) {
      const b = held.get(id);
      if (b !== undefined && b.meta.minTime <= maxt && b.meta.maxTime > mint) out.push(b);
    }
    return out;
  }

  /** Calls `emit` with each matching series of `block`. */
  async blockSeries(block: Block, q: SeriesQuery, emit: (s: ChunkSeries) => void): Promise<void> {
    const cq = await block.chunkQuerier(q.mint, q.maxt);
    try {
      const set = cq.select({ start: q.mint, end: q.maxt, step: 0, func: q.skipChunks === true ? 'series' : '', range: 0, sortSeries: true }, ...q.matchers);
      while (await set.next()) emit(set.at());
      const err = set.err();
      if (err !== undefined) throw err;
    } finally {
      await cq.close();
    }
  }

  /** Label names (or values of `name`) of `block` for series matching `matchers`; the first `limit` in sort order when not 0. */
  async blockLabels(block: Block, mint: number, maxt: number, matchers: Matcher[], name?: string, limit = 0): Promise<string[]> {
    const cq = await block.chunkQuerier(mint, maxt);
    try {
      return name === undefined ? await cq.labelNames({ limit }, ...matchers) : await cq.labelValues(name, { limit }, ...matchers);
    } finally {
      await cq.close();
    }
  }

  /** Whether `block` of `tenant` is held (not dropped meanwhile). */
  holds(tenant: string, block: string): boolean {
    return this.#tenants.get(tenant)?.has(block) === true;
  }

  async close(): Promise<void> {
    for (const [tenant, held] of [...this.#tenants]) for (const id of [...held.keys()]) await this.#drop(tenant, id);
  }
}
