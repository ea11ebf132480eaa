import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Layout of a WAL directory (as Prometheus' wlog): numbered segment files `00000000`, `00000001`, …
 * and checkpoint directories `checkpoint.00000007` holding the live part of segments ≤ 7 in the
 * same segment format.
 */

/** Record framing constants shared by the writer and the reader. */
export const PageSize = 32 * 1024;
export const RecordHeaderSize = 7;
/** Fragment types (low 3 bits of the header's first byte); 0 marks the zero padding of a page. */
export const FragmentType = { PageTerm: 0, Full: 1, First: 2, Middle: 3, Last: 4 } as const;
/** Bit 3 of the type byte flags a snappy-compressed fragment (Prometheus); Myelin never sets it. */
export const SnappyFlag = 0x08;

export function segmentName(i: number): string {
  return String(i).padStart(8, '0');
}

export function checkpointName(i: number): string {
  return `checkpoint.${segmentName(i)}`;
}

export interface SegmentRef {
  index: number;
  path: string;
}

/** Segment files in `dir`, in index order. */
export function listSegments(dir: string): SegmentRef[] {
  const out: SegmentRef[] = [];
  for (const name of readdirSync(dir)) {
    if (/^\d{8}$/.test(name)) out.push({ index: Number(name), path: join(dir, name) });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The newest complete checkpoint in `dir`, if any. */
export function lastCheckpoint(dir: string): { index: number; path: string } | undefined {
  let best: { index: number; path: string } | undefined;
  for (const name of readdirSync(dir)) {
    const m = /^checkpoint\.(\d{8})$/.exec(name);
    if (m !== null && (best === undefined || Number(m[1]) > best.index)) best = { index: Number(m[1]), path: join(dir, name) };
  }
  return best;
}
