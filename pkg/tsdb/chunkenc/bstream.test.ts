import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitReader, peek32At } from './bstream.js';

/** Bit `k` of `buf` counted from the most significant bit of byte 0; 0 past the end. */
function bitAt(buf: Uint8Array, k: number): number {
  return k >>> 3 < buf.length ? (buf[k >>> 3] >>> (7 - (k & 7))) & 1 : 0;
}

test('peek32At reads the 32 bits at every offset, zeros past the end, first bit as the sign', () => {
  const buf = Uint8Array.from([0xff, 0x01, 0x80, 0x7e, 0xa5, 0x5a, 0xc3]);
  for (let pos = 0; pos <= buf.length * 8; pos++) {
    let want = 0;
    for (let k = 0; k < 32; k++) want = (want << 1) | bitAt(buf, pos + k);
    assert.equal(peek32At(buf, pos), want | 0, `at bit ${pos}`);
  }
});

test('BitReader.readBits agrees with bit-by-bit reads across the stream end', () => {
  const buf = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x12]);
  for (const n of [1, 3, 8, 13, 31, 32]) {
    for (let pos = 0; pos < buf.length * 8; pos += 5) {
      const r = new BitReader(buf, 0);
      r.skip(pos);
      let want = 0;
      for (let k = 0; k < n; k++) want = want * 2 + bitAt(buf, pos + k);
      assert.equal(r.readBits(n), want, `${n} bits at ${pos}`);
      assert.equal(r.pos, pos + n);
    }
  }
});
