import { isUtf8 } from 'node:buffer';

// Lookup tables over ASCII: 1 where the character may start (bit 0) or continue (bit 1) a name.
const metricChars = new Uint8Array(128);
const labelChars = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[a-zA-Z_]/.test(ch);
  const digit = /[0-9]/.test(ch);
  labelChars[c] = (alpha ? 1 : 0) | (alpha || digit ? 2 : 0);
  metricChars[c] = labelChars[c] | (ch === ':' ? 3 : 0);
}

function validName(s: string, table: Uint8Array): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (table[c] & (i === 0 ? 1 : 2)) === 0) return false;
  }
  return true;
}

function validNameBytes(buf: Uint8Array, from: number, to: number, table: Uint8Array): boolean {
  if (from >= to) return false;
  for (let p = from; p < to; p++) {
    const c = buf[p];
    if (c >= 128 || (table[c] & (p === from ? 1 : 2)) === 0) return false;
  }
  return true;
}

/** isValidMetricName of the UTF-8 bytes buf[from, to). */
export function isValidMetricNameBytes(buf: Uint8Array, from: number, to: number): boolean {
  return validNameBytes(buf, from, to, metricChars);
}

/** isValidLabelName of the UTF-8 bytes buf[from, to). */
export function isValidLabelNameBytes(buf: Uint8Array, from: number, to: number): boolean {
  return validNameBytes(buf, from, to, labelChars);
}

/** `[a-zA-Z_:][a-zA-Z0-9_:]*` (Prometheus' legacy metric name rule). */
export function isValidMetricName(s: string): boolean {
  return validName(s, metricChars);
}

/** `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus' legacy label name rule). */
export function isValidLabelName(s: string): boolean {
  return validName(s, labelChars);
}

/**
 * Whether a JS string is representable as valid UTF-8, i.e. has no unpaired surrogate. (Strings
 * decoded from invalid UTF-8 bytes carry U+FFFD instead; check the bytes with isValidUtf8Bytes.)
 */
export function isValidUtf8String(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff || i + 1 >= s.length) return false;
    const d = s.charCodeAt(++i);
    if (d < 0xdc00 || d > 0xdfff) return false;
  }
  return true;
}

/** Whether raw label bytes are valid UTF-8. */
export function isValidUtf8Bytes(b: Uint8Array): boolean {
  return isUtf8(b);
}

/** Orders strings by their UTF-8 bytes (= code points), as Go and Prometheus' index do. */
export function compareUtf8(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (code points above U+FFFF) below U+E000..U+FFFF; UTF-8 puts them above.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}
