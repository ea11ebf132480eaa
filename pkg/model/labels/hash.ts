import type { Labels } from './labels.js';

/**
 * A stable 64-bit hash of a label set: FNV-1a 64 over the UTF-8 bytes of
 * `name₀ 0xff value₀ 0xff name₁ 0xff value₁ 0xff …` (the byte layout Prometheus hashes; 0xff never
 * occurs in UTF-8, so distinct sets give distinct byte strings). Stable across processes and
 * versions: it may be persisted and used for sharding.
 *
 * The 64-bit state is kept as four 16-bit limbs so that every step is exact 32-bit integer
 * arithmetic (no BigInt per byte); one BigInt is built at the end.
 */
export function labelsHash(ls: Labels): bigint {
  const st = hashPairs(ls.pairs());
  return (BigInt(st[3]) << 48n) | (BigInt(st[2]) << 32n) | (BigInt(st[1]) << 16n) | BigInt(st[0]);
}

/** The same hash as two 32-bit halves `[hi, lo]`, for callers that avoid BigInt. */
export function labelsHashHiLo(ls: Labels): [number, number] {
  const st = hashPairs(ls.pairs());
  return [((st[3] << 16) | st[2]) >>> 0, ((st[1] << 16) | st[0]) >>> 0];
}

// FNV-1a 64 offset basis 0xcbf29ce484222325, as limbs from least significant.
const OFFSET = [0x2325, 0x8422, 0x9ce4, 0xcbf2];
const state = new Uint32Array(4);

function hashPairs(pairs: readonly string[]): Uint32Array {
  state[0] = OFFSET[0];
  state[1] = OFFSET[1];
  state[2] = OFFSET[2];
  state[3] = OFFSET[3];
  for (let i = 0; i < pairs.length; i++) {
    hashUtf8(pairs[i]);
    step(0xff);
  }
  return state;
}

function hashUtf8(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      step(c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate: hashed as U+FFFD, as TextEncoder writes it
    if (c < 0x800) {
      step(0xc0 | (c >> 6));
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12));
      step(0x80 | ((c >> 6) & 0x3f));
    } else {
      step(0xf0 | (c >> 18));
      step(0x80 | ((c >> 12) & 0x3f));
      step(0x80 | ((c >> 6) & 0x3f));
    }
    step(0x80 | (c & 0x3f));
  }
}

/** h = (h ^ b) * 0x100000001b3 mod 2^64, with h as 16-bit limbs. The prime is 2^40 + 0x1b3. */
function step(b: number): void {
  const h0 = state[0] ^ b;
  const h1 = state[1];
  const h2 = state[2];
  const h3 = state[3];
  const t0 = h0 * 0x1b3;
  const t1 = h1 * 0x1b3 + (t0 >>> 16);
  // h << 40 adds h's low 24 bits at bit 40: limb 2 gets h0's low byte at its bit 8, limb 3 the rest.
  const t2 = h2 * 0x1b3 + (t1 >>> 16) + ((h0 & 0xff) << 8);
  const t3 = h3 * 0x1b3 + (t2 >>> 16) + (h0 >>> 8) + ((h1 & 0xff) << 8);
  state[0] = t0 & 0xffff;
  state[1] = t1 & 0xffff;
  state[2] = t2 & 0xffff;
  state[3] = t3 & 0xffff;
}
