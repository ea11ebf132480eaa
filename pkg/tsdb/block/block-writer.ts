import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Labels, compareUtf8 } from '../../model/labels/index.js';
import type { ChunkIterator, ChunkSeriesSet } from '../../storage/index.js';
import { SegmentWriter } from '../chunks/index.js';
import { IndexWriter } from '../index/index.js';
import { chunkSampleCount } from './chunk-sample-count.js';
import { syncDir } from './fsync.js';
import { META_VERSION, writeMeta, type BlockDesc, type BlockMeta, type ThanosMeta } from './meta.js';
import { writeTombstones } from './tombstones.js';
import { UlidGenerator } from './ulid.js';

export const TMP_FOR_CREATION_SUFFIX = '.tmp-for-creation';
export const TMP_FOR_DELETION_SUFFIX = '.tmp-for-deletion';

/**
 * Removes what interrupted block writes and deletions left in `dir` (`*.tmp-for-creation`,
 * `*.tmp-for-deletion`), as Prometheus does when it opens a data directory. Returns their names.
 */
export async function removeTmpBlockDirs(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(TMP_FOR_CREATION_SUFFIX) || n.endsWith(TMP_FOR_DELETION_SUFFIX));
  for (const n of names) await rm(join(dir, n), { recursive: true, force: true });
  return names;
}

export interface BlockWriterOptions {
  /** Makes the block id; one generator per process keeps ids increasing. */
  ulids: UlidGenerator;
  /** Compaction level; 1 for blocks cut from a head. */
  level: number;
  /** Level-1 blocks the data came from; defaults to the new block itself. */
  sources: string[];
  parents: BlockDesc[];
  /** Time range to record instead of the one spanned by the data ([min, max), ms). */
  minTime: number | undefined;
  maxTime: number | undefined;
  thanos: ThanosMeta | undefined;
  segmentSize: number | undefined;
  /** meta.json compaction hints, e.g. OutOfOrderHint for blocks of out-of-order samples. */
  hints: string[];
}

/** The compaction hint of blocks cut from the out-of-order head (Prometheus CompactionHintFromOutOfOrder). */
export const OutOfOrderHint = 'from-out-of-order';

export const defaultBlockWriterOptions = (): BlockWriterOptions => ({
  ulids: new UlidGenerator(),
  level: 1,
  sources: [],
  parents: [],
  minTime: undefined,
  maxTime: undefined,
  thanos: undefined,
  segmentSize: undefined,
  hints: [],
});

interface PendingSeries {
  labels: Labels;
  /** First triplet of this series in the shared chunk meta array, and how many. */
  start: number;
  count: number;
}

/** `[minT, maxT, ref]` triplets of every series, in one growing array (no array per series). */
class ChunkMetaArray {
  data = new Float64Array(3 * 1024);
  length = 0;

  push(minT: number, maxT: number, ref: number): void {
    if (this.length + 3 > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const d = this.data;
    d[this.length++] = minT;
    d[this.length++] = maxT;
    d[this.length++] = ref;
  }
}

/**
 * Writes the series of `set` as a new block under `parentDir` and returns its meta, or undefined
 * when the set holds no chunk (Prometheus writes no empty blocks).
 *
 * The block is built in `<ulid>.tmp-for-creation`, every file fsynced, then renamed to `<ulid>`
 * and the parent directory fsynced: a crash leaves either no block or a whole one (plus a temp
 * directory that openers ignore and cleaners remove).
 *
 * Chunks are copied to segment files as they stream in; labels and chunk metas stay in memory
 * until the index is written, sorted by UTF-8 label order, so any input order is accepted.
 */
export async function writeBlock(
  parentDir: string,
  set: ChunkSeriesSet,
  opts: Partial<BlockWriterOptions> = {},
): Promise<BlockMeta | undefined> {
  const o: BlockWriterOptions = { ...defaultBlockWriterOptions(), ...opts };
  const ulid = o.ulids.next();
  const tmp = join(parentDir, ulid + TMP_FOR_CREATION_SUFFIX);
  await mkdir(tmp, { recursive: true });
  try {
    const meta = await writeInto(tmp, ulid, set, o);
    if (meta === undefined) {
      await rm(tmp, { recursive: true, force: true });
      return undefined;
    }
    await syncDir(join(tmp, 'chunks'));
    await syncDir(tmp);
    const final = join(parentDir, ulid);
    await rename(tmp, final);
    await syncDir(parentDir);
    return meta;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`write block ${ulid} in ${parentDir}`, { cause: err });
  }
}

async function writeInto(dir: string, ulid: string, set: ChunkSeriesSet, o: BlockWriterOptions): Promise<BlockMeta | undefined> {
  const segments = new SegmentWriter(join(dir, 'chunks'), o.segmentSize);
  const series: PendingSeries[] = [];
  const metas = new ChunkMetaArray();
  const symbols: string[] = [];
  let numSamples = 0;
  let numChunks = 0;
  let minT = Infinity;
  let maxT = -Infinity;
  let it: ChunkIterator | undefined;
  let prev: readonly string[] = [];
  try {
    while (await set.next()) {
      const s = set.at();
      it = s.chunks(it);
      const start = metas.length / 3;
      while (it.next()) {
        const c = it.at();
        const cMinT = c.minT;
        const cMaxT = c.maxT;
        numSamples += chunkSampleCount(c.bytes);
        let ref = segments.writeSync(c.encoding, c.bytes);
        if (ref < 0) ref = await segments.write(c.encoding, c.bytes);
        metas.push(cMinT, cMaxT, ref);
        if (cMinT < minT) minT = cMinT;
        if (cMaxT > maxT) maxT = cMaxT;
      }
      const itErr = it.err();
      if (itErr !== undefined) throw new Error(`iterate chunks of ${s.labels.toString()}`, { cause: itErr });
      const count = metas.length / 3 - start;
      if (count === 0) continue;
      numChunks += count;
      // Sorted input repeats most label text of the previous series: skip those.
      const p = s.labels.pairs();
      for (let i = 0; i < p.length; i++) if (p[i] !== prev[i]) symbols.push(p[i]);
      prev = p;
      series.push({ labels: s.labels, start, count });
    }
    const setErr = set.err();
    if (setErr !== undefined) throw new Error('iterate series', { cause: setErr });
  } finally {
    await segments.close();
  }
  if (series.length === 0) return undefined;

  series.sort((a, b) => Labels.compare(a.labels, b.labels));
  const iw = await IndexWriter.create(join(dir, 'index'));
  try {
    await iw.addSymbols(sortedDistinct(symbols));
    for (let i = 0; i < series.length; i++) {
      if (i > 0 && Labels.compare(series[i - 1].labels, series[i].labels) === 0) {
        throw new Error(`series ${series[i].labels.toString()} appears twice in the input`);
      }
      await iw.addSeries(series[i].labels, metas.data, series[i].start, series[i].count);
    }
    await iw.close();
  } catch (err) {
    await iw.abort().catch(() => undefined);
    throw err;
  }
  await writeTombstones(dir);

  const meta: BlockMeta = {
    ulid,
    minTime: o.minTime ?? minT,
    maxTime: o.maxTime ?? maxT + 1,
    stats: { numSamples, numSeries: series.length, numChunks },
    compaction: { level: o.level, sources: o.sources.length > 0 ? o.sources : [ulid] },
    version: META_VERSION,
  };
  if (o.parents.length > 0) meta.compaction.parents = o.parents;
  if (o.hints.length > 0) meta.compaction.hints = o.hints;
  if (o.thanos !== undefined) meta.thanos = o.thanos;
  await writeMeta(dir, meta);
  return meta;
}

/**
 * Sorts label text by UTF-8 bytes and drops repeats, in place. The native sort (UTF-16 order, no
 * comparator call per step) is right unless astral and U+E000..U+FFFF characters meet, which one
 * linear check detects; then the UTF-8 comparator sorts again.
 */
function sortedDistinct(strs: string[]): string[] {
  strs.sort();
  let ok = true;
  for (let i = 1; i < strs.length && ok; i++) if (strs[i - 1] !== strs[i] && compareUtf8(strs[i - 1], strs[i]) > 0) ok = false;
  if (!ok) strs.sort(compareUtf8);
  let n = 0;
  for (let i = 0; i < strs.length; i++) if (i === 0 || strs[i] !== strs[n - 1]) strs[n++] = strs[i];
  strs.length = n;
  return strs;
}
