// Snappy block format (what Prometheus remote write sends), with the decoded size checked from
// the block's header before a single byte is allocated.
import snappy from 'snappyjs';
import { WireError, WireErrorCode } from './errors.js';

/**
 * The decoded length a snappy block announces in its header (a uvarint of at most 5 bytes), or
 * -1 when the header is malformed.
 */
export function snappyDecodedLength(block: Uint8Array): number {
  let len = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    const b = block[i];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return len > 0xffffffff ? -1 : len;
  }
  return -1;
}

/** Decodes a snappy block of at most `maxDecoded` bytes; throws WireError otherwise. */
export function snappyDecode(block: Buffer, maxDecoded: number): Buffer {
  const n = snappyDecodedLength(block);
  if (n < 0) throw new WireError(WireErrorCode.BadSnappy, 'body is not snappy block-format data: bad length header');
  if (n > maxDecoded) {
    throw new WireError(WireErrorCode.TooLarge, `decoded body of ${n} bytes exceeds the limit of ${maxDecoded} bytes (-distributor.max-recv-msg-size)`);
  }
  // Not zero-filled: decodeBlock writes every byte or the block is refused.
  const out = Buffer.allocUnsafe(n);
  const problem = decodeBlock(block, uvarintLength(block), out);
  if (problem !== undefined) throw new WireError(WireErrorCode.BadSnappy, `body is not snappy block-format data: ${problem}`);
  return out;
}

function uvarintLength(block: Uint8Array): number {
  let i = 0;
  while (block[i] >= 0x80) i++;
  return i + 1;
}

/** Shorter runs copy byte by byte: a native copy costs more than it saves below this length. */
const nativeCopyMin = 32;

/**
 * Decodes the elements of a snappy block (from `pos`, after the length header) into `out`, which
 * they must fill exactly, as Go's snappy.Decode requires; the reason when they do not.
 * (snappyjs, which did this before, copies every byte in a loop and is twice as slow.)
 */
function decodeBlock(src: Uint8Array, pos: number, out: Buffer): string | undefined {
  const end = src.length;
  const outEnd = out.length;
  let o = 0;
  while (pos < end) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      // A literal: the length is in the tag, or in the 1 to 4 bytes after it (tag values 60..63).
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60;
        if (pos + bytes > end) return 'truncated literal length';
        len = 1;
        for (let k = 0, scale = 1; k < bytes; k++, scale *= 256) len += src[pos + k] * scale;
        pos += bytes;
      }
      if (pos + len > end) return 'truncated literal';
      if (o + len > outEnd) return 'more data than the length header says';
      if (len < nativeCopyMin) for (let k = 0; k < len; k++) out[o + k] = src[pos + k];
      else out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    // A copy of `len` bytes from `offset` bytes back in the output (offsets of 1, 2 or 4 bytes).
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= end) return 'truncated copy';
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[pos];
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > end) return 'truncated copy';
      len = (tag >>> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > end) return 'truncated copy';
      len = (tag >>> 2) + 1;
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > o) return 'copy offset outside the data decoded so far';
    if (o + len > outEnd) return 'more data than the length header says';
    let from = o - offset;
    // An overlapping copy (offset < len) repeats its own output, so it must go byte by byte.
    if (offset >= len && len >= nativeCopyMin) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      for (const stop = o + len; o < stop; ) out[o++] = out[from++];
    }
  }
  return o === outEnd ? undefined : 'less data than the length header says';
}

export function snappyEncode(data: Buffer): Buffer {
  return snappy.compress(data);
}
