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
  try {
    return snappy.uncompress(block, maxDecoded);
  } catch (err) {
    throw new WireError(WireErrorCode.BadSnappy, `body is not snappy block-format data: ${(err as Error).message}`);
  }
}

export function snappyEncode(data: Buffer): Buffer {
  return snappy.compress(data);
}
