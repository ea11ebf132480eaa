// QueryStreamResponse messages of chunk series, written and read by hand: every query answer of an
// ingester is one of these per 128 series, and building ts-proto objects for them (and the string
// copies of every label of every series) was most of the cost of reading recent data. The .proto
// in proto/myelin stays the source of truth; query-stream.test.ts checks both directions against
// pkg/generated.
//
//   QueryStreamResponse { repeated TimeSeriesChunk chunkseries = 1; repeated prometheus.TimeSeries timeseries = 2; }
//   TimeSeriesChunk     { string from_ingester_id = 1; string user_id = 2; repeated Label labels = 3; repeated Chunk chunks = 4; }
//   Label               { string name = 1; string value = 2; }
//   Chunk               { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2; int32 encoding = 3; bytes data = 4; }
import type { Labels } from '../model/labels/index.js';
import { Cursor } from './cursor.js';
import { WireError, WireErrorCode } from './errors.js';
import { StringSlots } from './string-slots.js';
import { uvarintSize } from '../tsdb/encoding/index.js';
import { lengthDelimitedLen, writeVarint } from './varint.js';

/** One chunk series as read from a message; `data` are views into the message's buffer. */
export interface WireChunkSeries {
  /** Label names and values, alternating, in the order sent (sorted by name when sent by an ingester). */
  pairs: string[];
  minTs: number[];
  maxTs: number[];
  encodings: number[];
  data: Uint8Array[];
}

/** Strings whose UTF-8 bytes the writer keeps; past this it starts over, bounding its memory. */
const maxCachedStrings = 100_000;

/**
 * Collects chunk series and writes them as one QueryStreamResponse. Label strings are encoded to
 * UTF-8 once per writer (names and most values repeat across series and messages).
 */
export class QueryStreamWriter {
  readonly #id: Buffer;
  readonly #user: Buffer;
  readonly #utf8 = new Map<string, Buffer>();
  #labels: Buffer[][] = [];
  #chunks: { minT: number; maxT: number; encoding: number; data: Uint8Array }[][] = [];
  #bodyLens: number[] = [];
  #size = 0;

  constructor(fromIngesterId: string, userId: string) {
    this.#id = Buffer.from(fromIngesterId);
    this.#user = Buffer.from(userId);
  }

  /** Series added since the last finish(). */
  get count(): number {
    return this.#labels.length;
  }

  /** Adds a series; the chunks' bytes must stay as they are until finish(). */
  add(labels: Labels, chunks: readonly { minT: number; maxT: number; encoding: number; bytes: Uint8Array }[]): void {
    const ls: Buffer[] = [];
    let body = stringField(this.#id.length) + stringField(this.#user.length);
    labels.forEach((name, value) => {
      const n = this.#bytes(name);
      const v = this.#bytes(value);
      ls.push(n, v);
      body += lengthDelimitedLen(stringField(n.length) + stringField(v.length));
    });
    const cs = chunks.map((c) => ({ minT: c.minT, maxT: c.maxT, encoding: c.encoding, data: c.bytes }));
    for (const c of cs) body += lengthDelimitedLen(chunkBodyLen(c));
    this.#labels.push(ls);
    this.#chunks.push(cs);
    this.#bodyLens.push(body);
    this.#size += lengthDelimitedLen(body);
  }

  /** The QueryStreamResponse holding every series added since the last call; starts a new one. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.#size);
    let p = 0;
    for (let i = 0; i < this.#labels.length; i++) {
      out[p++] = 0x0a;
      p = writeVarint(out, p, this.#bodyLens[i]);
      p = writeBytesField(out, p, 0x0a, this.#id);
      p = writeBytesField(out, p, 0x12, this.#user);
      const ls = this.#labels[i];
      for (let k = 0; k < ls.length; k += 2) {
        out[p++] = 0x1a;
        p = writeVarint(out, p, stringField(ls[k].length) + stringField(ls[k + 1].length));
        p = writeBytesField(out, p, 0x0a, ls[k]);
        p = writeBytesField(out, p, 0x12, ls[k + 1]);
      }
      for (const c of this.#chunks[i]) {
        out[p++] = 0x22;
        p = writeVarint(out, p, chunkBodyLen(c));
        if (c.minT !== 0) {
          out[p++] = 0x08;
          p = writeInt64(out, p, c.minT);
        }
        if (c.maxT !== 0) {
          out[p++] = 0x10;
          p = writeInt64(out, p, c.maxT);
        }
        if (c.encoding !== 0) {
          out[p++] = 0x18;
          p = writeInt64(out, p, c.encoding);
        }
        p = writeBytesField(out, p, 0x22, c.data);
      }
    }
    if (p !== out.length) throw new Error(`BUG: QueryStreamResponse of ${out.length} bytes, wrote ${p}`);
    this.#labels = [];
    this.#chunks = [];
    this.#bodyLens = [];
    this.#size = 0;
    return out;
  }

  #bytes(s: string): Buffer {
    let b = this.#utf8.get(s);
    if (b === undefined) {
      if (this.#utf8.size >= maxCachedStrings) this.#utf8.clear();
      b = Buffer.from(s);
      this.#utf8.set(s, b);
    }
    return b;
  }
}

/**
 * Reads QueryStreamResponse messages of one stream. Keep one per stream: label strings repeat
 * across its messages and are read once per label position (StringSlots).
 */
export class QueryStreamReader {
  readonly #strings = new StringSlots(128);

  /** The chunk series of one message; `timeseries` (sample streams) are not expected and refused. */
  read(buf: Buffer): WireChunkSeries[] {
    const out: WireChunkSeries[] = [];
    const r = new Cursor(buf, 'QueryStreamResponse');
    while (r.pos < buf.length) {
      const tag = r.varint(buf.length);
      if (tag === 0x0a) {
        const end = r.lengthEnd(buf.length);
        out.push(this.#series(r, end));
      } else if (tag === 0x12) {
        throw new WireError(WireErrorCode.BadProtobuf, 'QueryStreamResponse: sample series where chunks were asked for');
      } else r.skip(tag, buf.length);
    }
    return out;
  }

  #series(r: Cursor, end: number): WireChunkSeries {
    const s: WireChunkSeries = { pairs: [], minTs: [], maxTs: [], encodings: [], data: [] };
    while (r.pos < end) {
      const tag = r.varint(end);
      if (tag === 0x1a) {
        const labelEnd = r.lengthEnd(end);
        const k = s.pairs.length;
        let name = '';
        let value = '';
        while (r.pos < labelEnd) {
          const t = r.varint(labelEnd);
          if (t === 0x0a) name = this.#string(r, labelEnd, k);
          else if (t === 0x12) value = this.#string(r, labelEnd, k + 1);
          else r.skip(t, labelEnd);
        }
        s.pairs.push(name, value);
      } else if (tag === 0x22) {
        const chunkEnd = r.lengthEnd(end);
        let minT = 0;
        let maxT = 0;
        let encoding = 0;
        let data: Uint8Array = new Uint8Array(0);
        while (r.pos < chunkEnd) {
          const t = r.varint(chunkEnd);
          if (t === 0x08) minT = r.int64(chunkEnd);
          else if (t === 0x10) maxT = r.int64(chunkEnd);
          else if (t === 0x18) encoding = r.int64(chunkEnd);
          else if (t === 0x22) {
            const to = r.lengthEnd(chunkEnd);
            data = r.buf.subarray(r.pos, to);
            r.pos = to;
          } else r.skip(t, chunkEnd);
        }
        s.minTs.push(minT);
        s.maxTs.push(maxT);
        s.encodings.push(encoding);
        s.data.push(data);
      } else r.skip(tag, end);
    }
    return s;
  }

  #string(r: Cursor, end: number, slot: number): string {
    const to = r.lengthEnd(end);
    const s = this.#strings.read(r.buf, r.pos, to, slot);
    r.pos = to;
    return s;
  }
}

/** A string or bytes field; proto3 leaves empty ones out. */
function stringField(len: number): number {
  return len === 0 ? 0 : lengthDelimitedLen(len);
}

function int64Len(v: number): number {
  return v < 0 ? 10 : uvarintSize(v);
}

function chunkBodyLen(c: { minT: number; maxT: number; encoding: number; data: Uint8Array }): number {
  return (c.minT !== 0 ? 1 + int64Len(c.minT) : 0) + (c.maxT !== 0 ? 1 + int64Len(c.maxT) : 0)
    + (c.encoding !== 0 ? 1 + int64Len(c.encoding) : 0) + stringField(c.data.length);
}

function writeInt64(out: Buffer, p: number, v: number): number {
  if (v >= 0) return writeVarint(out, p, v);
  let big = BigInt.asUintN(64, BigInt(v));
  for (let i = 0; i < 9; i++) {
    out[p++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  out[p++] = Number(big);
  return p;
}

function writeBytesField(out: Buffer, p: number, tag: number, b: Uint8Array): number {
  if (b.length === 0) return p;
  out[p++] = tag;
  p = writeVarint(out, p, b.length);
  out.set(b, p);
  return p + b.length;
}
