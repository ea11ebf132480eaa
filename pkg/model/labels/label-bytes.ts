// Label sets still in their wire form: UTF-8 bytes of a request, before any string is made. A
// decoded request describes one label set as a slice of a ranges array, four offsets per label:
//
//   ranges[4k] ranges[4k+1]   name bytes  [from, to) of label k in buf
//   ranges[4k+2] ranges[4k+3] value bytes [from, to)
//
// The hash below is the same whether computed from those bytes or from a Labels' strings, so a
// head can find the series of a request's label set without creating its strings (VictoriaMetrics
// looks series up by their marshaled name for the same reason).

const offset32 = 0x811c9dc5;
const prime32 = 0x01000193;

/**
 * FNV-1a (32 bit) of the UTF-8 bytes of name₀ 0xff value₀ 0xff name₁ 0xff …, reduced to 30 bits
 * (a small integer V8 keeps unboxed as a Map key). In-memory only: never persist it.
 */
export function hashLabelBytes(buf: Uint8Array, ranges: Uint32Array, from: number, to: number): number {
  let h = offset32;
  for (let k = 4 * from, end = 4 * to; k < end; k += 2) {
    for (let p = ranges[k], e = ranges[k + 1]; p < e; p++) h = Math.imul(h ^ buf[p], prime32);
    h = Math.imul(h ^ 0xff, prime32);
  }
  return (h >>> 2) & 0x3fffffff;
}

/** hashLabelBytes of the UTF-8 encoding of flat name/value pairs (lone surrogates as U+FFFD). */
export function hashLabelPairs(pairs: readonly string[]): number {
  let h = offset32;
  for (let i = 0; i < pairs.length; i++) {
    const s = pairs[i];
    for (let j = 0; j < s.length; j++) {
      let c = s.charCodeAt(j);
      if (c < 0x80) {
        h = Math.imul(h ^ c, prime32);
        continue;
      }
      c = s.codePointAt(j) as number;
      if (c > 0xffff) j++;
      else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x800) {
        h = Math.imul(h ^ (0xc0 | (c >> 6)), prime32);
      } else if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), prime32);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), prime32);
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), prime32);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), prime32);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), prime32);
      }
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), prime32);
    }
    h = Math.imul(h ^ 0xff, prime32);
  }
  return (h >>> 2) & 0x3fffffff;
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
