// Chooses what to do with a tenant's live blocks (those not marked for deletion): which blocks are
// already covered by a compacted block (to mark), and which group to compact next.
import { firstOverlappingRun, splitByRange } from '../tsdb/compact/index.js';
import type { BlockMeta } from '../tsdb/block/index.js';

/**
 * The external label each ingester adds to its blocks (Cortex `__ingester_id__`). The RF replicas
 * of a range differ only by it, so the compactor ignores it, as Cortex's ReplicaLabelRemover does,
 * and compacted blocks no longer carry it.
 */
export const INGESTER_ID_LABEL = '__ingester_id__';

/** `thanos.labels` without the ingester's replica label. */
export function streamLabels(meta: BlockMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.thanos?.labels ?? {})) if (k !== INGESTER_ID_LABEL) out[k] = v;
  return out;
}

/** Blocks are compacted together only within one stream: equal labels (replica label aside) and resolution. */
function streamKey(meta: BlockMeta): string {
  const labels = Object.entries(streamLabels(meta)).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([labels, meta.thanos?.downsample.resolution ?? 0]);
}

export function groupByStream(metas: Iterable<BlockMeta>): BlockMeta[][] {
  const out = new Map<string, BlockMeta[]>();
  for (const m of metas) {
    const k = streamKey(m);
    const g = out.get(k);
    if (g === undefined) out.set(k, [m]);
    else g.push(m);
  }
  return [...out.values()];
}

/**
 * Blocks whose data is entirely inside another live block: their sources (level-1 ULIDs) are a
 * subset of that block's sources. This finds the parents of a compacted block that was uploaded
 * before a crash kept them from being marked, so a re-run marks them instead of compacting again.
 *
 * "Covered by" only points up a strict order (more sources, then higher level, then greater
 * ULID), so two blocks with the same sources never mark each other: the greatest one stays.
 */
export function coveredBlocks(live: readonly BlockMeta[]): BlockMeta[] {
  const bySource = new Map<string, BlockMeta[]>();
  for (const m of live) {
    for (const s of m.compaction.sources) {
      const l = bySource.get(s);
      if (l === undefined) bySource.set(s, [m]);
      else l.push(m);
    }
  }
  const out: BlockMeta[] = [];
  for (const x of live) {
    const own = x.compaction.sources;
    if (own.length === 0) continue;
    const covering = (bySource.get(own[0]) ?? []).find((b) => b !== x && ranksAbove(b, x) && own.every((s) => b.compaction.sources.includes(s)));
    if (covering !== undefined) out.push(x);
  }
  return out;
}

function ranksAbove(b: BlockMeta, x: BlockMeta): boolean {
  if (b.compaction.sources.length !== x.compaction.sources.length) return b.compaction.sources.length > x.compaction.sources.length;
  if (b.compaction.level !== x.compaction.level) return b.compaction.level > x.compaction.level;
  return b.ulid > x.ulid;
}

/**
 * The next group of one stream's live blocks to compact, or [] when nothing is due.
 *
 * Only blocks that ended before `horizon` are considered, and a level group only when its whole
 * window of the next range ended before it. The horizon is now minus the ingesters' block range
 * (the largest range an ingester cuts): an ingester cuts the block of a range about 1.5 ranges after
 * it starts and ships it at once, so by then every healthy replica has shipped into that range. This
 * is the reason for Cortex's rule of not compacting the most recent range (and Mimir's
 * first-level-compaction-wait-period). A replica shipped later still is not lost: it overlaps the
 * compacted block and the next pass merges the two vertically.
 *
 * 1. Vertical compaction first: the first run of blocks whose time ranges overlap, such as the RF
 *    copies of one 2h range, possibly from different ingesters.
 * 2. Then level compaction, smallest range first: the blocks inside one aligned window of the
 *    range (2h blocks into 12h, 12h into 24h), when there are at least two.
 */
export function planGroup(stream: readonly BlockMeta[], ranges: readonly number[], horizon: number): BlockMeta[] {
  const settled = stream.filter((m) => m.maxTime <= horizon).sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : 1));
  const overlapping = firstOverlappingRun(settled);
  if (overlapping.length > 0) return overlapping;
  for (const range of ranges.slice(1)) {
    for (const group of splitByRange(settled, range)) {
      const windowEnd = Math.floor(group[0].minTime / range) * range + range;
      if (group.length >= 2 && windowEnd <= horizon) return group;
    }
  }
  return [];
}
