// Label sets still in their wire form: UTF-8 bytes of a request, before any string is made. A
// decoded request describes one label set as a slice of a ranges array, four offsets per label:
//
//   ranges[4k] ranges[4k+1]   name bytes  [from, to) of label k in buf
//   ranges[4k+2] ranges[4k+3] value bytes [from, to)
//
// The hash below is the same whether computed from those bytes or from a Labels' strings, so a
// head can find the series of a request's label set without creating its strings (VictoriaMetrics
// looks series up by their marshaled name for the same reason).

const seed = 0x811c9dc5;

/** One MurmurHash3 (x86, 32 bit) round: the word `w` into the state `h`. */
function mix(h: number, w: number): number {
  w = Math.imul(w, 0xcc9e2d51);
  w = Math.imul((w << 15) | (w >>> 17), 0x1b873593);
  h ^= w;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalizer, reduced to 30 bits (a small integer V8 keeps unboxed). */
function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 2) & 0x3fffffff;
}

/**
 * buf[p, e) into `h`: four bytes (little endian) per round, then the last 0–3 bytes with the
 * length's low byte above them, so that ("ab","c") and ("a","bc") hash differently. A word per
 * round instead of a byte: a third of FNV-1a's dependent multiplications.
 */
function addBytes(h: number, buf: Uint8Array, p: number, e: number): number {
  const len = e - p;
  for (; p + 4 <= e; p += 4) h = mix(h, buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24));
  let w = len << 24;
  for (let shift = 0; p < e; p++, shift += 8) w |= buf[p] << shift;
  return mix(h, w);
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** addBytes() of the UTF-8 encoding of `s` (lone surrogates as U+FFFD), ASCII without encoding it. */
function addString(h: number, s: string): number {
  const n = s.length;
  let g = h;
  let w = 0;
  let shift = 0;
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c >= 0x80) return addUtf8(h, s);
    w |= c << shift;
    shift += 8;
    if (shift === 32) {
      g = mix(g, w);
      w = 0;
      shift = 0;
    }
  }
  return mix(g, w | (n << 24));
}

function addUtf8(h: number, s: string): number {
  if (scratch.length < 3 * s.length) scratch = new Uint8Array(3 * s.length);
  return addBytes(h, scratch, 0, encoder.encodeInto(s, scratch).written);
}

/**
 * A 30-bit hash (MurmurHash3 rounds) of the label set's UTF-8 bytes, name₀ value₀ name₁ …, each
 * string with its length. In-memory only: never persist it.
 */
export function hashLabelBytes(buf: Uint8Array, ranges: Uint32Array, from: number, to: number): number {
  let h = seed;
  for (let k = 4 * from, end = 4 * to; k < end; k += 2) h = addBytes(h, buf, ranges[k], ranges[k + 1]);
  return finish(h);
}

/** hashLabelBytes of the UTF-8 encoding of flat name/value pairs (lone surrogates as U+FFFD). */
export function hashLabelPairs(pairs: readonly string[]): number {
  let h = seed;
  for (let i = 0; i < pairs.length; i++) h = addString(h, pairs[i]);
  return finish(h);
}

/** Whether flat name/value pairs are exactly the label set of ranges [from, to) of buf. */
export function pairsEqualBytes(pairs: readonly string[], buf: Uint8Array, ranges: Uint32Array, from: number, to: number): boolean {
  if (pairs.length !== 2 * (to - from)) return false;
  for (let i = 0, k = 4 * from; i < pairs.length; i++, k += 2) {
    if (!stringEqualsUtf8(pairs[i], buf, ranges[k], ranges[k + 1])) return false;
  }
  return true;
}

/** Whether `s` encodes in UTF-8 to exactly buf[from, to), compared as it is encoded (no copy). */
export function stringEqualsUtf8(s: string, buf: Uint8Array, from: number, to: number): boolean {
  // ASCII text has as many bytes as UTF-16 units; anything else has more bytes than units.
  if (s.length > to - from) return false;
  let p = from;
  for (let j = 0; j < s.length; j++) {
    let c = s.charCodeAt(j);
    if (c < 0x80) {
      if (p >= to || buf[p++] !== c) return false;
      continue;
    }
    c = s.codePointAt(j) as number;
    if (c > 0xffff) j++;
    // A lone surrogate has no UTF-8 form, so it never equals valid bytes.
    else if (c >= 0xd800 && c <= 0xdfff) return false;
    const n = c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (p + n > to) return false;
    if (n === 2) {
      if (buf[p] !== (0xc0 | (c >> 6))) return false;
    } else if (n === 3) {
      if (buf[p] !== (0xe0 | (c >> 12)) || buf[p + 1] !== (0x80 | ((c >> 6) & 0x3f))) return false;
    } else if (buf[p] !== (0xf0 | (c >> 18)) || buf[p + 1] !== (0x80 | ((c >> 12) & 0x3f)) || buf[p + 2] !== (0x80 | ((c >> 6) & 0x3f))) {
      return false;
    }
    if (buf[p + n - 1] !== (0x80 | (c & 0x3f))) return false;
    p += n;
  }
  return p === to;
}

/** The length in UTF-16 units (a JS string's length) of the valid UTF-8 text buf[from, to). */
export function utf16Length(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let p = from; p < to; p++) {
    const b = buf[p];
    // Every sequence has one lead byte (not 10xxxxxx); four-byte ones need a surrogate pair.
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}
