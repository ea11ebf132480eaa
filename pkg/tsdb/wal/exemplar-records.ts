/**
 * The WAL's exemplars record, in Prometheus' tsdb/record layout (record type 4):
 *
 *   0x04 │ ref₀ u64BE │ t₀ i64BE │ ( ref−ref₀ varint │ t−t₀ varint │ value bits u64BE │
 *          n uvarint │ ( len uvarint │ name │ len uvarint │ value ) × n ) × …
 *
 * (As in the samples record, the first exemplar's ref and timestamp are the bases and are also
 * encoded as a zero delta entry.)
 */
import { Labels } from '../../model/labels/index.js';
import { f64, u32 } from '../chunkenc/index.js';
import { CorruptionError, Decbuf, Encbuf } from '../encoding/index.js';
import { RecordDecodeError, RecordType } from './records.js';

/** One exemplar of a WAL record: its series' ref, then the exemplar. */
export interface RefExemplar {
  ref: number;
  ts: number;
  value: number;
  labels: Labels;
}

const TwoPow32 = 4294967296;

/** Encodes exemplars records into one reused buffer: each result is a view valid until the next call. */
export class ExemplarRecordEncoder {
  readonly #b = new Encbuf(4096);

  encode(exemplars: readonly RefExemplar[]): Uint8Array {
    const b = this.#b;
    b.reset();
    b.putByte(RecordType.Exemplars);
    if (exemplars.length === 0) return b.get();
    const ref0 = exemplars[0].ref;
    const t0 = exemplars[0].ts;
    b.putBE64(ref0);
    putBE64Signed(b, t0);
    for (const e of exemplars) {
      b.putVarint(e.ref - ref0);
      b.putVarint(e.ts - t0);
      f64[0] = e.value;
      b.putBE32(u32[1]);
      b.putBE32(u32[0]);
      const p = e.labels.pairs();
      b.putUvarint(p.length >> 1);
      for (const s of p) b.putUvarintStr(s);
    }
    return b.get();
  }
}

/** Decodes an exemplars record; a malformed one throws RecordDecodeError. */
export function decodeExemplars(rec: Uint8Array): RefExemplar[] {
  const out: RefExemplar[] = [];
  if (rec.length <= 1) return out;
  const d = new Decbuf(rec, 'exemplars record', 1);
  try {
    const ref0 = d.be64();
    const t0 = (d.be32() | 0) * TwoPow32 + d.be32();
    while (d.remaining > 0) {
      const ref = ref0 + d.varint();
      const ts = t0 + d.varint();
      u32[1] = d.be32();
      u32[0] = d.be32();
      const value = f64[0];
      const n = d.uvarint();
      const pairs: string[] = new Array(2 * n);
      for (let k = 0; k < 2 * n; k++) pairs[k] = d.uvarintStr();
      out.push({ ref, ts, value, labels: Labels.fromPairs(pairs) });
    }
  } catch (err) {
    if (err instanceof CorruptionError) throw new RecordDecodeError(err.message);
    throw err;
  }
  return out;
}

/** A two's complement int64, big-endian (Encbuf.putBE64 takes unsigned values). */
function putBE64Signed(b: Encbuf, v: number): void {
  const hi = Math.floor(v / TwoPow32);
  b.putBE32(hi >>> 0);
  b.putBE32(v - hi * TwoPow32);
}
