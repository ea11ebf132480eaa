import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hashLabelPairs } from '../model/labels/index.js';
import { f64, u32 } from './chunkenc/index.js';
import type { Head } from './head.js';
import { replayExemplars } from './head-exemplars.js';
import type { MemSeries } from './mem-series.js';
import type { Corruption, Wal } from './wal/index.js';
import { HistogramColumns, RecordDecodeError, RecordDecoder, RecordType, SampleColumns, SegmentReader, createCheckpoint, isHistogramRecord, lastCheckpoint, listSegments, repairWal } from './wal/index.js';

/**
 * Rebuilds the head from the WAL directory: the newest checkpoint, then the segments after it.
 * Series keep their refs. A corrupt or torn tail is cut off (valid prefix kept, later segments
 * deleted), logged and counted; the head then opens normally — never a crash loop.
 *
 * Memory: one page and one record at a time besides the head itself.
 */
export async function replayWal(head: Head, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const start = performance.now();
  const state = new ReplayState(head);
  const cp = lastCheckpoint(dir);
  if (cp !== undefined) {
    const c = state.read(listSegments(cp.path));
    // Checkpoints are fsynced before they appear; damage here means the disk lost data. Keep going
    // with what was read: samples of series whose record was lost are skipped and counted.
    if (c !== undefined) reportCorruption(head, cp.path, c, []);
  }
  const segments = listSegments(dir).filter((s) => cp === undefined || s.index > cp.index);
  const c = state.read(segments);
  if (c !== undefined) {
    const { removedSegments } = await repairWal(dir, c);
    reportCorruption(head, dir, c, removedSegments);
  }
  head.metrics.walReplayUnknownRefs.inc(state.unknownRefs);
  head.metrics.walReplayDuration.set((performance.now() - start) / 1000);
  head.log?.info(
    { dir, series: head.numSeries(), samples: state.samples, unknownRefs: state.unknownRefs, ms: Math.round(performance.now() - start) },
    'wal replay done',
  );
}

/**
 * Puts the out-of-order samples of the write-behind log (written by commits beside the WAL, same
 * record format) back into the out-of-order head, after replayWal() has created the series. A torn
 * tail is repaired as in the WAL.
 */
export async function replayWbl(head: Head, dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const state = new ReplayState(head, true);
  const c = state.read(listSegments(dir));
  if (c !== undefined) {
    const { removedSegments } = await repairWal(dir, c);
    reportCorruption(head, dir, c, removedSegments);
  }
  head.metrics.walReplayUnknownRefs.inc(state.unknownRefs);
  head.log?.info({ dir, samples: state.samples, unknownRefs: state.unknownRefs }, 'wbl replay done');
}

function reportCorruption(head: Head, dir: string, c: Corruption, removedSegments: number[]): void {
  head.metrics.walCorruptions.inc();
  head.log?.warn({ dir, segment: c.segment, offset: c.offset, reason: c.reason, removedSegments }, 'wal corruption repaired, valid prefix kept');
}

class ReplayState {
  readonly #head: Head;
  /** Replaying the WBL: samples go to the out-of-order head. */
  readonly #ooo: boolean;
  readonly #dec = new RecordDecoder();
  readonly #cols = new SampleColumns();
  readonly #hcols = new HistogramColumns();
  /** Refs of duplicate series records (same labels, another ref) mapped to the series kept. */
  readonly #aliases = new Map<number, MemSeries>();
  samples = 0;
  unknownRefs = 0;

  constructor(head: Head, ooo = false) {
    this.#head = head;
    this.#ooo = ooo;
  }

  /** Applies every valid record of the segments; returns the corruption that stopped it, if any. */
  read(segments: ReturnType<typeof listSegments>): Corruption | undefined {
    const r = new SegmentReader(segments);
    try {
      for (let rec = r.next(); rec !== undefined; rec = r.next()) {
        try {
          if (rec[0] === RecordType.Series) this.#dec.series(rec, (ref, ls) => this.#series(ref, ls));
          else if (rec[0] === RecordType.Samples) this.#samples(rec);
          else if (isHistogramRecord(rec[0])) this.#histograms(rec);
          else if (rec[0] === RecordType.Exemplars) this.#exemplars(rec);
          else if (rec[0] === RecordType.Tombstones) this.#tombstones(rec);
          // Other record types (metadata, …) are not written by Myelin; skip them.
        } catch (err) {
          // A record with a valid checksum that does not decode: skip it rather than refuse to start.
          if (!(err instanceof RecordDecodeError)) throw err;
          this.#head.metrics.walCorruptions.inc();
          this.#head.log?.error({ segment: r.segment(), err }, 'skipping undecodable wal record');
        }
      }
      return r.corruption();
    } finally {
      r.close();
    }
  }

  #series(ref: number, ls: Parameters<Head['createSeries']>[1]): void {
    const head = this.#head;
    const hash = hashLabelPairs(ls.pairs());
    const existing = head.seriesByLabels(ls, hash);
    if (existing !== undefined) {
      if (existing.ref !== ref) this.#aliases.set(ref, existing);
      return;
    }
    if (head.byRef.has(ref)) throw new Error(`BUG: WAL series ref ${ref} reused for ${ls.toString()}`);
    head.createSeries(ref, ls, hash).walLogged = true;
  }

  /** Deletions apply to what was replayed before them, as they did when logged. */
  #tombstones(rec: Uint8Array): void {
    this.#dec.tombstones(rec, (ref, mint, maxt) => {
      const s = this.#seriesOf(ref);
      if (s !== undefined) this.#head.addTombstone(s.ref, mint, maxt);
    });
  }

  #exemplars(rec: Uint8Array): void {
    const head = this.#head;
    this.unknownRefs += replayExemplars(head.exemplars, rec, (ref) => head.byRef.get(ref) ?? this.#aliases.get(ref), head.minValidTime());
  }

  #samples(rec: Uint8Array): void {
    const head = this.#head;
    const c = this.#cols;
    this.#dec.samples(rec, c);
    if (this.#ooo) {
      this.#oooSamples(c);
      return;
    }
    // Only the hard bound: the head accepted these samples once, whatever its max time was then.
    const minValid = head.minValidTime();
    let mint = Infinity;
    let maxt = -Infinity;
    let chunks = 0;
    for (let i = 0; i < c.length; i++) {
      const s = this.#seriesOf(c.refs[i]);
      const t = c.ts[i];
      if (s === undefined || t <= s.lastT || t < minValid) continue;
      u32[1] = c.vhi[i];
      u32[0] = c.vlo[i];
      if (s.append(t, f64[0], head.cut)) chunks++;
      this.samples++;
      if (t < mint) mint = t;
      if (t > maxt) maxt = t;
    }
    this.#applied(mint, maxt, chunks);
  }

  #oooSamples(c: SampleColumns): void {
    const head = this.#head;
    for (let i = 0; i < c.length; i++) {
      const s = this.#seriesOf(c.refs[i]);
      if (s === undefined) continue;
      u32[1] = c.vhi[i];
      u32[0] = c.vlo[i];
      if (head.insertOoo(s, c.ts[i], f64[0])) this.samples++;
    }
  }

  /** The series a WAL ref names (itself or, for a duplicate series record, the one kept); counts unknown refs. */
  #seriesOf(ref: number): MemSeries | undefined {
    const s = this.#head.byRef.get(ref) ?? this.#aliases.get(ref);
    if (s === undefined) this.unknownRefs++;
    return s;
  }

  /** Books the samples one record added: the head's time range and chunk counts. */
  #applied(mint: number, maxt: number, chunks: number): void {
    const head = this.#head;
    if (maxt >= mint) head.extendTimeRange(mint, maxt);
    head.metrics.chunksCreated.inc(chunks);
    head.metrics.chunks.inc(chunks);
  }

  /** As #samples, for a histogram samples record (types 7 to 10). */
  #histograms(rec: Uint8Array): void {
    const head = this.#head;
    const c = this.#hcols;
    this.#dec.histogramSamples(rec, c);
    const minValid = head.minValidTime();
    let mint = Infinity;
    let maxt = -Infinity;
    let chunks = 0;
    for (let i = 0; i < c.length; i++) {
      const s = this.#seriesOf(c.refs[i]);
      const t = c.ts[i];
      if (s === undefined || t <= s.lastT || t < minValid) continue;
      // The series keeps the sample as its last one; the one it kept before is decoded into next.
      const spare = s.hist?.last ?? null;
      if (s.appendHistogram(t, c.hs[i], c.isFloat, head.cut)) chunks++;
      c.keep(i, spare);
      this.samples++;
      mint = Math.min(mint, t);
      maxt = Math.max(maxt, t);
    }
    this.#applied(mint, maxt, chunks);
  }
}

/**
 * After a truncation: starts a new segment, folds every older segment into a checkpoint holding only
 * the live series and samples at or after mint, and deletes the folded segments. A failure is
 * logged and counted; the WAL stays valid (the old segments are only deleted after the checkpoint
 * is in place), just longer to replay.
 */
export async function checkpointAfterTruncation(head: Head, wal: Wal, mint: number): Promise<void> {
  try {
    // Fails while the WAL cannot write (a full disk): the next truncation checkpoints instead.
    const current = await wal.nextSegment();
    if (current === 0) return;
    const stats = await createCheckpoint(wal.dir, current - 1, { keepSeries: (ref) => head.byRef.has(ref), mint });
    head.metrics.checkpoints.inc();
    head.log?.info({ dir: wal.dir, ...stats }, 'wal checkpoint created');
  } catch (err) {
    head.metrics.checkpointFailures.inc();
    head.log?.error({ dir: wal.dir, err }, 'wal checkpoint failed');
  }
}
