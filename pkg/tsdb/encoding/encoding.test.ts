import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';
import { Decbuf, verifyCRC32, CorruptionError } from './decbuf.js';
import { Encbuf } from './encbuf.js';
import { uvarintSize } from './varint.js';

test('crc32c matches the Castagnoli check values', () => {
  const cases: Record<string, [string, number]> = {
    empty: ['', 0],
    'check string': ['123456789', 0xe3069283],
    'longer than one stride': ['The quick brown fox jumps over the lazy dog', 0x22620404],
  };
  for (const [name, [input, want]] of Object.entries(cases)) {
    assert.equal(crc32c(Buffer.from(input)), want, name);
  }
});

test('crc32c can be continued across calls', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (bytes, cut) => {
      const at = Math.min(cut, bytes.length);
      assert.equal(crc32c(bytes, at, bytes.length, crc32c(bytes, 0, at)), crc32c(bytes));
    }),
    { numRuns: 200 },
  );
});

test('encbuf and decbuf round-trip every field type', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ k: fc.constant('u' as const), v: fc.maxSafeNat() }),
          fc.record({ k: fc.constant('s' as const), v: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }) }),
          fc.record({ k: fc.constant('b32' as const), v: fc.nat({ max: 0xffffffff }) }),
          fc.record({ k: fc.constant('b64' as const), v: fc.maxSafeNat() }),
          fc.record({ k: fc.constant('str' as const), v: fc.string({ unit: 'grapheme' }) }),
        ),
        { maxLength: 20 },
      ),
      (fields) => {
        const e = new Encbuf(4);
        for (const f of fields) {
          if (f.k === 'u') e.putUvarint(f.v);
          else if (f.k === 's') e.putVarint(f.v);
          else if (f.k === 'b32') e.putBE32(f.v);
          else if (f.k === 'b64') e.putBE64(f.v);
          else e.putUvarintStr(f.v);
        }
        const d = new Decbuf(e.get(), 'test');
        for (const f of fields) {
          const got =
            f.k === 'u' ? d.uvarint() : f.k === 's' ? d.varint() : f.k === 'b32' ? d.be32() : f.k === 'b64' ? d.be64() : d.uvarintStr();
          assert.equal(got, f.v);
        }
        assert.equal(d.remaining, 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('uvarints use Go encoding byte for byte', () => {
  const cases: [number, number[]][] = [
    [0, [0]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [2000000, [0x80, 0x89, 0x7a]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [v, bytes] of cases) {
    const e = new Encbuf();
    e.putUvarint(v);
    assert.deepEqual([...e.get()], bytes, `uvarint(${v})`);
    assert.equal(uvarintSize(v), bytes.length);
  }
  const e = new Encbuf();
  e.putVarint(1000000);
  assert.deepEqual([...e.get()], [0x80, 0x89, 0x7a]);
});

test('truncated data and bad checksums throw corruption errors', () => {
  assert.throws(() => new Decbuf(new Uint8Array([0x80]), 'x').uvarint(), CorruptionError);
  assert.throws(() => new Decbuf(new Uint8Array(3), 'x').be32(), CorruptionError);
  const e = new Encbuf();
  e.putBE32(42);
  e.putCRC32Since(0);
  const bytes = e.get().slice();
  verifyCRC32(bytes, 0, 4, 'ok');
  bytes[0] ^= 1;
  assert.throws(() => verifyCRC32(bytes, 0, 4, 'flipped'), /checksum mismatch/);
});

test('uvarintWrapped reads Go uint64(int64) wrap-around exactly', () => {
  // uint64(-5) and uint64(-3_600_000): ten-byte uvarints of values near 2^64.
  const enc = (x: bigint): Uint8Array => {
    const out: number[] = [];
    let v = BigInt.asUintN(64, x);
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return Uint8Array.from(out);
  };
  for (const x of [-5n, -3_600_000n, 0n, 42n, 2n ** 52n]) {
    assert.equal(new Decbuf(enc(x), 'wrap').uvarintWrapped(), Number(x), String(x));
    const e = new Encbuf();
    e.putUvarintWrapped(Number(x));
    assert.deepEqual([...e.get()], [...enc(x)], `encode ${x}`);
  }
});
