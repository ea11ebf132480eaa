// Test helpers for code that reads label sets as raw UTF-8 bytes (label-bytes.ts).

/**
 * Flat name/value pairs laid out as a request would carry them: each string's UTF-8 bytes after a
 * one-byte gap (as a protobuf tag would sit there), and their [from, to) ranges, two per string.
 */
export function labelBytesOf(pairs: readonly string[]): { buf: Buffer; ranges: Uint32Array } {
  const parts: Buffer[] = [];
  const ranges = new Uint32Array(2 * pairs.length);
  let at = 0;
  pairs.forEach((s, i) => {
    const b = Buffer.from(`#${s}`, 'utf8');
    parts.push(b);
    ranges[2 * i] = at + 1;
    ranges[2 * i + 1] = at + b.length;
    at += b.length;
  });
  return { buf: Buffer.concat(parts), ranges };
}
