import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Labels } from '../../model/labels/index.js';
import { decodeExemplars, ExemplarRecordEncoder } from './exemplar-records.js';
import { SegmentReader } from './reader.js';
import { HistogramColumns, RecordDecoder, RecordEncoder, RecordType, SampleColumns, isHistogramRecord } from './records.js';
import { checkpointName, lastCheckpoint, listSegments } from './segments.js';
import { FsyncPolicy, Wal, listDir, syncDir } from './wal.js';

/** Which series and samples of the old WAL the head still holds. */
export interface CheckpointFilter {
  keepSeries(ref: number): boolean;
  /** Samples older than this are dropped. */
  mint: number;
}

export interface CheckpointStats {
  index: number;
  seriesKept: number;
  seriesDropped: number;
  samplesKept: number;
  samplesDropped: number;
  exemplarsKept: number;
  exemplarsDropped: number;
}

/**
 * Rewrites the previous checkpoint plus segments ≤ `upTo` as `checkpoint.<upTo>` with only what the
 * head still holds (series records of live series, samples at or after mint), then deletes those
 * segments and older checkpoints. Replay then reads the checkpoint and the segments after it, so its
 * cost tracks the head's size, not the WAL's age (Prometheus wlog.Checkpoint).
 *
 * Streaming: one page and one record in memory at a time; the output is written in batches. The
 * checkpoint appears atomically (written as `.tmp`, fsynced, renamed).
 */
export async function createCheckpoint(dir: string, upTo: number, filter: CheckpointFilter): Promise<CheckpointStats> {
  const prev = lastCheckpoint(dir);
  const sources = [
    ...(prev === undefined ? [] : listSegments(prev.path)),
    ...listSegments(dir).filter((s) => s.index <= upTo && (prev === undefined || s.index > prev.index)),
  ];
  const tmp = join(dir, `${checkpointName(upTo)}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const out = await Wal.open(tmp, { fsync: FsyncPolicy.Segment });
  const stats: CheckpointStats = { index: upTo, seriesKept: 0, seriesDropped: 0, samplesKept: 0, samplesDropped: 0, exemplarsKept: 0, exemplarsDropped: 0 };
  const reader = new SegmentReader(sources);
  const dec = new RecordDecoder();
  const enc = new RecordEncoder();
  const exemplarEnc = new ExemplarRecordEncoder();
  const cols = new SampleColumns();
  const hcols = new HistogramColumns();
  try {
    let pending: Promise<void>[] = [];
    for (let rec = reader.next(); rec !== undefined; rec = reader.next()) {
      if (rec[0] === RecordType.Series) {
        const refs: number[] = [];
        const ls: Labels[] = [];
        dec.series(rec, (ref, labels) => {
          if (filter.keepSeries(ref)) {
            refs.push(ref);
            ls.push(labels);
          }
        });
        stats.seriesKept += refs.length;
        if (refs.length > 0) pending.push(out.log(enc.series(refs, ls)));
      } else if (rec[0] === RecordType.Samples) {
        dec.samples(rec, cols);
        let k = 0;
        for (let i = 0; i < cols.length; i++) {
          if (cols.ts[i] < filter.mint || !filter.keepSeries(cols.refs[i])) continue;
          cols.refs[k] = cols.refs[i];
          cols.ts[k] = cols.ts[i];
          cols.vhi[k] = cols.vhi[i];
          cols.vlo[k] = cols.vlo[i];
          k++;
        }
        stats.samplesDropped += cols.length - k;
        stats.samplesKept += k;
        if (k > 0) pending.push(out.log(enc.samplesFromColumns(cols, k)));
      } else if (isHistogramRecord(rec[0])) {
        dec.histogramSamples(rec, hcols);
        const keep: number[] = [];
        for (let i = 0; i < hcols.length; i++) if (hcols.ts[i] >= filter.mint && filter.keepSeries(hcols.refs[i])) keep.push(i);
        stats.samplesDropped += hcols.length - keep.length;
        stats.samplesKept += keep.length;
        if (keep.length > 0) pending.push(out.log(enc.histogramSamples(rec[0] as RecordType, hcols.refs, hcols.ts, hcols.hs, keep)));
      } else if (rec[0] === RecordType.Tombstones) {
        // Deletions of live series that still reach the kept samples stay (Prometheus keeps them too).
        const kept = new Map<number, number[]>();
        dec.tombstones(rec, (ref, mint, maxt) => {
          if (maxt < filter.mint || !filter.keepSeries(ref)) return;
          kept.set(ref, [...(kept.get(ref) ?? []), mint, maxt]);
        });
        if (kept.size > 0) pending.push(out.log(enc.tombstones(kept)));
      } else if (rec[0] === RecordType.Exemplars) {
        // Exemplars are kept as Prometheus keeps them: those of live series at or after mint.
        const all = decodeExemplars(rec);
        const kept = all.filter((e) => e.ts >= filter.mint && filter.keepSeries(e.ref));
        stats.exemplarsKept += kept.length;
        stats.exemplarsDropped += all.length - kept.length;
        if (kept.length > 0) pending.push(out.log(exemplarEnc.encode(kept)));
      }
      if (pending.length >= 64) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    const c = reader.corruption();
    if (c !== undefined) throw new Error(`read WAL segment ${c.segment} for checkpoint: ${c.reason}`);
  } finally {
    reader.close();
    await out.close();
  }
  const final = join(dir, checkpointName(upTo));
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  await syncDir(dir);
  for (const s of listSegments(dir)) if (s.index <= upTo) await rm(s.path, { force: true });
  for (const name of await listDir(dir)) {
    const m = /^checkpoint\.(\d{8})(\.tmp)?$/.exec(name);
    if (m !== null && Number(m[1]) < upTo) await rm(join(dir, name), { recursive: true, force: true });
  }
  return stats;
}
