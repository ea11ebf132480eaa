import { Matcher, MatchType } from '../../model/labels/index.js';
import { UlidGenerator, writeBlock, type BlockMeta, type ThanosMeta } from '../block/index.js';
import type { Head } from '../head.js';

export interface HeadCompactionOptions {
  /** Block range in ms (2h); the head is cut along its multiples. */
  blockRange: number;
  ulids: UlidGenerator;
  /** Written into each block's meta.json (e.g. the tenant label an ingester adds). */
  thanos: ThanosMeta | undefined;
  /**
   * Persist the whole head, not only its complete ranges (a flush: Prometheus' forced head
   * compaction). Afterwards samples older than the newest persisted one are out of bounds.
   */
  all: boolean;
}

const defaults = (): HeadCompactionOptions => ({ blockRange: 2 * 3600_000, ulids: new UlidGenerator(), thanos: undefined, all: false });

/** Every series, including those without a metric name (a matcher that accepts "" selects all). */
const ALL_SERIES = new Matcher(MatchType.Regexp, '__name__', '.*');

/**
 * Whether the head holds more than 1.5 block ranges (Prometheus Head.compactable): then its oldest
 * range can no longer receive samples (appends older than half a range behind the newest sample are
 * out of bounds), so it is complete and can become a block.
 */
export function headCompactable(head: Head, blockRange: number): boolean {
  return head.maxTime() - head.minTime() > (blockRange / 2) * 3;
}

/**
 * While the head is compactable, writes its oldest block range to a block in `dir` and truncates
 * the head (memory and WAL) at the end of that range (Prometheus DB.Compact for the head).
 *
 * Appends go on meanwhile: the block is written with awaits between series, reading frozen chunk
 * snapshots of a range that appends can no longer reach; only head.truncate() walks all series
 * synchronously. A crash after the block is written but before the truncation leaves samples in
 * both the block and the WAL: queries deduplicate them and the next compaction merges them.
 * With `all`, every range up to the newest sample is persisted the same way, and the head keeps
 * accepting what it accepted before (half a range behind the newest sample): a flush never makes a
 * sample out of bounds that would have been taken without it.
 * Returns the metas of the blocks written, oldest first.
 */
export async function compactHead(head: Head, dir: string, opts: Partial<HeadCompactionOptions> = {}): Promise<BlockMeta[]> {
  const o = { ...defaults(), ...opts };
  const out: BlockMeta[] = [];
  // A flush persists ranges appends can still reach: keep them appendable (see allowAppendsFrom).
  const appendable = head.appendableMinValidTime();
  while (o.all ? head.minTime() <= head.maxTime() : headCompactable(head, o.blockRange)) {
    const mint = head.minTime();
    const rangeEnd = Math.floor(mint / o.blockRange) * o.blockRange + o.blockRange;
    const maxt = o.all ? Math.min(rangeEnd, head.maxTime() + 1) : rangeEnd;
    const q = await head.chunkQuerier(mint, maxt - 1);
    try {
      const set = q.select({ start: mint, end: maxt - 1, step: 0, func: '', range: 0, sortSeries: true }, ALL_SERIES);
      const meta = await writeBlock(dir, set, { ulids: o.ulids, minTime: mint, maxTime: maxt, thanos: o.thanos });
      if (meta !== undefined) out.push(meta);
    } catch (err) {
      throw new Error(`persist head range [${mint}, ${maxt}) as a block in ${dir}`, { cause: err });
    } finally {
      await q.close();
    }
    await head.truncate(maxt);
  }
  if (o.all) head.allowAppendsFrom(appendable);
  return out;
}
