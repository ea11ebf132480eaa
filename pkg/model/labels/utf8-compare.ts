/**
 * Orders strings by their UTF-8 bytes, as Go compares strings, which is how Prometheus sorts symbols,
 * label values and series. JS `<` compares UTF-16 units, which differs only when one side has a
 * surrogate (a code point above U+FFFF) and the other a unit in U+E000..U+FFFF: in UTF-8 the astral
 * code point sorts last. Remapping units so surrogates rank above U+FFFF fixes exactly that case.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x < 0xd800 && y < 0xd800) return x - y;
      return rank(x) - rank(y);
    }
  }
  return a.length - b.length;
}

function rank(u: number): number {
  if (u < 0xd800) return u;
  if (u >= 0xe000) return u - 0x800;
  return u + 0x2000;
}
