// Removing deleted series from the bucket (Cortex's blocks purger, done by the compactor): once a
// delete request is past its cancel period, every block of the tenant holding samples it covers is
// rewritten without them, and the request becomes `processed`. Queriers keep hiding what processed
// requests cover, and later passes rewrite blocks shipped after the request (an ingester's head was
// still holding the data) the same way.
//
// Crash safety, as for compaction: the rewritten block is uploaded meta.json last, and only then is
// the old one marked for deletion. A crash before meta.json leaves a partial block that the cleaner
// removes and an unmarked old block rewritten again next pass; a crash after it leaves a block with
// the same sources one level up, so the next pass marks the old one as covered (coveredBlocks).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from '../bucket/index.js';
import { uploadDir } from '../bucket/index.js';
import type { Logger } from '../log/index.js';
import type { Matcher } from '../model/labels/index.js';
import { ValueType } from '../storage/index.js';
import { DeleteRequestState, activeDeletions, listDeleteRequests, writeDeleteRequest, type DeleteRequest } from '../purger/index.js';
import { Block, META_FILENAME, TOMBSTONES_FILENAME, blockPostingsForMatchers, mergeIntervals, writeTombstones, type BlockMeta } from '../tsdb/block/index.js';
import { compactBlocks } from '../tsdb/compact/index.js';
import { downloadBlock } from './block-files.js';
import { markForDeletion } from './deletion-mark.js';

export interface SeriesDeletionDeps {
  /** -purger.delete-request-cancel-period: requests younger than this are not applied to blocks yet. */
  cancelPeriod: number;
  logger: Logger;
  now: () => number;
  /** Called for every block marked because it was rewritten. */
  onMarked: () => void;
}

/** Requests to apply to blocks: processed ones, and pending ones past their cancel period. */
function due(requests: readonly DeleteRequest[], cancelPeriod: number, now: number): DeleteRequest[] {
  return requests.filter((r) => r.state === DeleteRequestState.Processed || (r.state === DeleteRequestState.Pending && now - r.requestCreatedAt > cancelPeriod));
}

/**
 * Which live blocks hold no deleted samples of which requests, by "block requests…": a block is
 * read again only when the set of due requests changed (each process checks each block once).
 */
export class SeriesDeleter {
  readonly #deps: SeriesDeletionDeps;
  readonly #clean = new Set<string>();

  constructor(deps: SeriesDeletionDeps) {
    this.#deps = deps;
  }

  /**
   * Rewrites the tenant's `live` blocks that hold samples the due requests cover, then moves the
   * pending ones to processed. Returns whether a block was rewritten (the caller re-reads the blocks).
   */
  async apply(tenant: string, tb: Bucket, live: readonly BlockMeta[], workDir: string): Promise<boolean> {
    const requests = due(await listDeleteRequests(tb), this.#deps.cancelPeriod, this.#deps.now());
    if (requests.length === 0) return false;
    const key = requests.map((r) => r.requestId).sort().join(',');
    let rewrote = false;
    for (const meta of live) {
      const relevant = requests.filter((r) => r.endTime >= meta.minTime && r.startTime < meta.maxTime);
      if (relevant.length === 0 || this.#clean.has(`${meta.ulid} ${key}`)) continue;
      if (await this.#rewrite(tenant, tb, meta, relevant, join(workDir, tenant, 'delete'))) rewrote = true;
      else this.#clean.add(`${meta.ulid} ${key}`);
    }
    for (const r of requests) {
      if (r.state !== DeleteRequestState.Pending) continue;
      await writeDeleteRequest(tb, { ...r, state: DeleteRequestState.Processed, stateCreatedAt: this.#deps.now() });
      this.#deps.logger.info({ tenant, request: r.requestId }, 'series delete request processed: blocks rewritten');
    }
    return rewrote;
  }

  /** Rewrites one block without the requests' samples; false when it holds none of them. */
  async #rewrite(tenant: string, tb: Bucket, meta: BlockMeta, requests: readonly DeleteRequest[], dir: string): Promise<boolean> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await downloadBlock(tb, meta.ulid, dir);
      const stones = await deletedIntervals(join(dir, meta.ulid), requests);
      if (stones.size === 0) return false;
      // Replaced, not appended to: `stones` holds the block's own tombstones too.
      await rm(join(dir, meta.ulid, TOMBSTONES_FILENAME), { force: true });
      await writeTombstones(join(dir, meta.ulid), stones);
      const block = await Block.open(join(dir, meta.ulid));
      let out: BlockMeta | undefined;
      try {
        out = await compactBlocks(dir, [block], { source: 'compactor' });
      } finally {
        await block.close();
      }
      if (out !== undefined) await uploadDir(tb, join(dir, out.ulid), out.ulid, [META_FILENAME]);
      await markForDeletion(tb, meta.ulid, this.#deps.now());
      this.#deps.onMarked();
      this.#deps.logger.info({ tenant, block: meta.ulid, rewritten: out?.ulid, series: stones.size }, 'rewrote block without deleted series');
      return true;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The block's tombstones for `requests` (its own tombstones kept): series ref → merged intervals. */
async function deletedIntervals(blockDir: string, requests: readonly DeleteRequest[]): Promise<Map<number, number[]>> {
  const block = await Block.open(blockDir);
  try {
    const flat = new Map<number, number[]>();
    for (const [ref, iv] of block.tombstones) flat.set(ref, [...iv]);
    let found = false;
    for (const d of activeDeletions(requests)) {
      for (const ms of d.matcherSets) {
        if (!found) found = await hasSamples(block, d.startTime, d.endTime, ms);
        const refs = await blockPostingsForMatchers(block.index, ms);
        for (let i = 0; i < refs.length; i++) {
          const l = flat.get(refs[i]) ?? [];
          l.push(d.startTime, d.endTime);
          flat.set(refs[i], l);
        }
      }
    }
    // Only samples in a deleted range call for a rewrite (a rewritten block keeps the series' other samples).
    if (!found) return new Map();
    return new Map([...flat].map(([ref, l]) => [ref, mergeIntervals(l)]));
  } finally {
    await block.close();
  }
}

/** Whether a series matching `ms` has a sample in [mint, maxt] in the block (its own tombstones applied). */
async function hasSamples(block: Block, mint: number, maxt: number, ms: Matcher[]): Promise<boolean> {
  const q = await block.querier(mint, maxt);
  try {
    const set = q.select({ start: mint, end: maxt, step: 0, func: '', range: 0, sortSeries: false }, ...ms);
    while (await set.next()) {
      const it = set.at().iterator();
      if (it.seek(mint) !== ValueType.None && it.atT() <= maxt) return true;
      const err = it.err();
      if (err !== undefined) throw err;
    }
    const err = set.err();
    if (err !== undefined) throw err;
    return false;
  } finally {
    await q.close();
  }
}
