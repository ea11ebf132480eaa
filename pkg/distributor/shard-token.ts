// The ring token of a series (Cortex distributor shardByAllLabels): FNV-1a (32 bit) over the
// tenant and every label name and value in order, skipping one label (the HA replica label, so
// that both replicas of a series land on the same ingesters). Strings are hashed by UTF-16 code
// unit, with a 0xff separator after each so that ("ab","c") and ("a","bc") differ. Series are
// hashed from their UTF-8 bytes in a request, decoded to the same UTF-16 units on the fly, so the
// token does not depend on whether strings were made.
import { stringEqualsUtf8 } from '../model/labels/index.js';

const offset32 = 0x811c9dc5;
const prime32 = 0x01000193;

function add(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), prime32);
  return Math.imul(h ^ 0xff, prime32);
}

/** add() of the string whose valid UTF-8 bytes are buf[from, to). */
function addUtf8(h: number, buf: Uint8Array, from: number, to: number): number {
  for (let p = from; p < to; p++) {
    const b = buf[p];
    if (b < 0x80) {
      h = Math.imul(h ^ b, prime32);
      continue;
    }
    let c: number;
    if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | (buf[++p] & 0x3f);
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((buf[p + 1] & 0x3f) << 6) | (buf[p + 2] & 0x3f);
      p += 2;
    } else {
      const cp = (((b & 0x07) << 18) | ((buf[p + 1] & 0x3f) << 12) | ((buf[p + 2] & 0x3f) << 6) | (buf[p + 3] & 0x3f)) - 0x10000;
      p += 3;
      h = Math.imul(h ^ (0xd800 + (cp >> 10)), prime32);
      c = 0xdc00 + (cp & 0x3ff);
    }
    h = Math.imul(h ^ c, prime32);
  }
  return Math.imul(h ^ 0xff, prime32);
}

/**
 * The token of labels [from, to) of a decoded request, given as UTF-8 byte ranges of `buf` (four
 * offsets per label, see WriteRequestDecoder.labelRanges); the label named `skip` is left out
 * ('' leaves nothing out).
 */
export function seriesToken(tenant: string, buf: Uint8Array, ranges: Uint32Array, from: number, to: number, skip: string): number {
  let h = add(offset32, tenant);
  for (let k = 4 * from, end = 4 * to; k < end; k += 4) {
    if (skip !== '' && stringEqualsUtf8(skip, buf, ranges[k], ranges[k + 1])) continue;
    h = addUtf8(addUtf8(h, buf, ranges[k], ranges[k + 1]), buf, ranges[k + 2], ranges[k + 3]);
  }
  return h >>> 0;
}

/** The token of a metadata entry: tenant and metric family name (Cortex shardByMetricName). */
export function metadataToken(tenant: string, family: string): number {
  return add(add(offset32, tenant), family) >>> 0;
}
