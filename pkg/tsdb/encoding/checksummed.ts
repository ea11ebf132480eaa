// The two checksummed record shapes of Prometheus' block files, decoded in one place for the index
// and chunk readers: `uvarint len | len bytes | CRC32C` (series entries, chunks) and
// `be32 len | len bytes | CRC32C` (symbol table, postings offset table, postings lists).
import { Decbuf, verifyCRC32 } from './decbuf.js';
import type { RangeReader } from './range-reader.js';

/**
 * Checks the `uvarint len | data | CRC32C` record at `buf[at]`, where the checksum covers `len +
 * extra` bytes (a chunk's encoding byte is outside its length); `verify` false skips the checksum.
 * Returns the record's data range, or undefined when `buf` ends before the record does (the
 * caller reads more and tries again).
 */
export function uvarintRecordAt(buf: Uint8Array, at: number, extra: number, what: string, verify = true): { start: number; end: number } | undefined {
  if (at >= buf.length) return undefined;
  const d = new Decbuf(buf, what, at);
  let len: number;
  try {
    len = d.uvarint();
  } catch {
    return undefined;
  }
  const start = d.pos;
  const end = start + len + extra;
  if (end + 4 > buf.length) return undefined;
  if (verify) verifyCRC32(buf, start, end, what);
  return { start, end };
}

/** Reads and checks the `be32 len | data | CRC32C` section at `offset`; a Decbuf over its data. */
export async function readBE32Section(f: RangeReader, offset: number, what: string): Promise<Decbuf> {
  const len = new Decbuf(await f.read(offset, 4), what).be32();
  const buf = await f.read(offset, 4 + len + 4);
  verifyCRC32(buf, 4, 4 + len, what);
  return new Decbuf(buf, what, 4, 4 + len);
}
