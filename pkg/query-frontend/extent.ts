// A results cache entry: a time range of one part of a query and the answer for it.
//
//   | start ms (float64 LE) | end ms (float64 LE) | answer JSON for [start, end] |
const headerSize = 16;

export interface Extent {
  start: number;
  end: number;
  body: Buffer;
}

export function encodeExtent(start: number, end: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerSize + body.length);
  const view = new DataView(out.buffer);
  view.setFloat64(0, start, true);
  view.setFloat64(8, end, true);
  out.set(body, headerSize);
  return out;
}

/** The extent in a cache entry (its body shares the entry's memory); undefined for an entry that is none (cut, or another writer's). */
export function decodeExtent(b: Buffer): Extent | undefined {
  if (b.length < headerSize) return undefined;
  const start = b.readDoubleLE(0);
  const end = b.readDoubleLE(8);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return undefined;
  return { start, end, body: b.subarray(headerSize) };
}
