import type { BlockMeta } from '../block/index.js';

const HOUR = 3600_000;
/** Cortex's and Thanos' default compaction ranges: 2h blocks into 12h, then 24h. */
export const DEFAULT_BLOCK_RANGES: readonly number[] = [2 * HOUR, 12 * HOUR, 24 * HOUR];

/**
 * Chooses the blocks to compact next (Prometheus LeveledCompactor.plan), or [] when nothing is due:
 *
 * 1. Overlapping blocks first (vertical compaction): the first run of blocks whose time ranges
 *    overlap, such as the RF copies ingesters ship of the same 2h.
 * 2. Otherwise level compaction: for each larger range, the blocks that fall inside one aligned
 *    window of that range, when there are at least two and the window is complete (its blocks span
 *    it) or lies before the newest block. The newest block is left alone so a block just cut from
 *    the head is not compacted at once.
 */
export function planCompaction(metas: readonly BlockMeta[], ranges: readonly number[] = DEFAULT_BLOCK_RANGES): BlockMeta[] {
  const live = metas.filter((m) => m.compaction.deletable !== true).sort((a, b) => a.minTime - b.minTime);
  const overlapping = firstOverlappingRun(live);
  if (overlapping.length > 0) return overlapping;
  if (live.length < 2 || ranges.length < 2) return [];
  const candidates = live.slice(0, -1);
  const highTime = live[live.length - 1].minTime;
  for (const range of ranges.slice(1)) {
    for (const group of splitByRange(candidates, range)) {
      if (group.length < 2 || group.some((m) => m.compaction.failed === true)) continue;
      const mint = group[0].minTime;
      const maxt = group[group.length - 1].maxTime;
      if (maxt - mint === range || maxt <= highTime) return group;
    }
  }
  return [];
}

/** The first run of blocks (sorted by minTime) whose time ranges overlap, or [] when none do. */
export function firstOverlappingRun(sorted: readonly BlockMeta[]): BlockMeta[] {
  for (let i = 0; i + 1 < sorted.length; i++) {
    let maxt = sorted[i].maxTime;
    let j = i + 1;
    while (j < sorted.length && sorted[j].minTime < maxt) maxt = Math.max(maxt, sorted[j++].maxTime);
    if (j - i > 1) return sorted.slice(i, j);
  }
  return [];
}

/**
 * Groups blocks (sorted by minTime) by aligned windows of `range`; blocks that do not fit entirely
 * inside one window (already larger than it) are skipped.
 */
export function splitByRange(sorted: readonly BlockMeta[], range: number): BlockMeta[][] {
  const out: BlockMeta[][] = [];
  let i = 0;
  while (i < sorted.length) {
    const m = sorted[i];
    const t0 = Math.floor(m.minTime / range) * range;
    if (m.maxTime > t0 + range) {
      i++;
      continue;
    }
    const group: BlockMeta[] = [];
    while (i < sorted.length && sorted[i].minTime >= t0 && sorted[i].maxTime <= t0 + range) group.push(sorted[i++]);
    if (group.length > 0) out.push(group);
  }
  return out;
}
