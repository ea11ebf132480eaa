import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptionError, Decbuf, Encbuf, FileWriter, verifyCRC32 } from '../encoding/index.js';

export const TOMBSTONES_FILENAME = 'tombstones';
const TOMBSTONES_MAGIC = 0x0130ba30;
const TOMBSTONES_VERSION = 1;

/** Deleted time ranges per series ref: sorted, disjoint `[mint, maxt]` pairs (inclusive), flat. */
export type Tombstones = ReadonlyMap<number, readonly number[]>;

/**
 * Writes `<dir>/tombstones` (Prometheus tsdb/docs/format/tombstones.md):
 *
 * ```
 * magic(0x0130BA30) <4b> │ version(1) <1b> │ (series ref <uvarint>, mint <varint>, maxt <varint>) … │ CRC32C <4b>
 * ```
 *
 * one entry per deleted interval; the CRC covers the entries (not the version byte).
 */
export async function writeTombstones(dir: string, stones: Tombstones = new Map()): Promise<void> {
  const e = new Encbuf(64);
  e.putBE32(TOMBSTONES_MAGIC);
  e.putByte(TOMBSTONES_VERSION);
  const from = e.length;
  for (const ref of [...stones.keys()].sort((a, b) => a - b)) {
    const iv = stones.get(ref) as readonly number[];
    for (let i = 0; i < iv.length; i += 2) {
      e.putUvarint(ref);
      e.putVarint(iv[i]);
      e.putVarint(iv[i + 1]);
    }
  }
  e.putCRC32Since(from);
  const f = await FileWriter.create(join(dir, TOMBSTONES_FILENAME));
  try {
    await f.write(e.get());
  } catch (err) {
    await f.abort();
    throw err;
  }
  await f.close();
}

/** Reads a block's tombstones; a missing file means none (older tools did not write one). */
export async function readTombstones(dir: string): Promise<Map<number, number[]>> {
  const path = join(dir, TOMBSTONES_FILENAME);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  return decodeTombstones(buf, path);
}

/** Decodes a tombstones file's bytes; `path` names it in errors. */
export function decodeTombstones(buf: Buffer, path: string): Map<number, number[]> {
  if (buf.length < 9) throw new CorruptionError(`${path}: too short`);
  const d = new Decbuf(buf, path, 0, buf.length - 4);
  if (d.be32() !== TOMBSTONES_MAGIC) throw new CorruptionError(`${path}: bad magic`);
  if (d.byte() !== TOMBSTONES_VERSION) throw new CorruptionError(`${path}: unsupported version`);
  verifyCRC32(buf, 5, buf.length - 4, path);
  const raw = new Map<number, number[]>();
  while (d.remaining > 0) {
    const ref = d.uvarint();
    const mint = d.varint();
    const maxt = d.varint();
    let list = raw.get(ref);
    if (list === undefined) raw.set(ref, (list = []));
    list.push(mint, maxt);
  }
  const out = new Map<number, number[]>();
  for (const [ref, list] of raw) out.set(ref, mergeIntervals(list));
  return out;
}

/** Sorts and merges overlapping or touching inclusive intervals given as flat pairs. */
export function mergeIntervals(flat: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const n = out.length;
    if (n > 0 && a <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], b);
    else out.push(a, b);
  }
  return out;
}

/** Whether `t` falls in one of the sorted intervals. */
export function isDeleted(intervals: readonly number[], t: number): boolean {
  for (let i = 0; i < intervals.length; i += 2) {
    if (t < intervals[i]) return false;
    if (t <= intervals[i + 1]) return true;
  }
  return false;
}
