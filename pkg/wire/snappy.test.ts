import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappyjs';
import { WireError } from './errors.js';
import { snappyDecode, snappyEncode } from './snappy.js';

/** Data with long repeats, short repeats and overlapping runs, as in remote write bodies. */
const repetitive = fc
  .array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('node_cpu_seconds_total', 'instance', 'a'.repeat(300), 'ab'.repeat(50)).map((s) => Buffer.from(s))), { maxLength: 40 })
  .map((parts) => Buffer.concat(parts));

test('snappy: decodes what snappyjs encodes', () => {
  fc.assert(
    fc.property(repetitive, (data) => {
      assert.deepEqual(snappyDecode(snappyEncode(data), data.length), data);
    }),
    { numRuns: 500 },
  );
});

test('snappy: every element form (literal lengths in 1 to 4 bytes, copies with 1, 2 and 4-byte offsets)', () => {
  const literal70 = Buffer.alloc(70, 7);
  const block = Buffer.from([
    // Decoded length 6 + 70 + 4 + 10 + 5 + 3 + 2 = 100.
    100,
    // Literal "abcdef" (length in the tag).
    (5 << 2) | 0, ...Buffer.from('abcdef'),
    // Literal of 70 bytes, length in one byte (tag 60).
    (60 << 2) | 0, 69, ...literal70,
    // Copy of 4 bytes from 76 back (1-byte offset): "abcd".
    (0 << 2) | 1, 76,
    // Copy of 10 bytes from 1 back (2-byte offset, overlapping): ten 'd's.
    (9 << 2) | 2, 1, 0,
    // Copy of 5 bytes from 90 back (4-byte offset): "abcde".
    (4 << 2) | 3, 90, 0, 0, 0,
    // Literal "xyz", length in two bytes (tag 61).
    (61 << 2) | 0, 2, 0, ...Buffer.from('xyz'),
    // Literal "!?", length in four bytes (tag 63).
    (63 << 2) | 0, 1, 0, 0, 0, ...Buffer.from('!?'),
  ]);
  const want = Buffer.concat([Buffer.from('abcdef'), literal70, Buffer.from('abcd'), Buffer.from('d'.repeat(10)), Buffer.from('abcdexyz!?')]);
  assert.deepEqual(snappyDecode(block, 1000), want);
});

test('snappy: a block that does not fill its announced length exactly, or copies from outside the data, is refused', async (t) => {
  const cases: Record<string, { block: number[]; message: RegExp }> = {
    'less data than announced': { block: [4, (2 << 2) | 0, 1, 2, 3], message: /less data than the length header says/ },
    'more data than announced': { block: [2, (2 << 2) | 0, 1, 2, 3], message: /more data than the length header says/ },
    'a copy before any data': { block: [4, (3 << 2) | 2, 1, 0], message: /copy offset outside/ },
    'a copy with offset 0': { block: [8, (3 << 2) | 0, 1, 2, 3, 4, (3 << 2) | 2, 0, 0], message: /copy offset outside/ },
    'a copy past what was decoded': { block: [8, (3 << 2) | 0, 1, 2, 3, 4, (3 << 2) | 2, 5, 0], message: /copy offset outside/ },
    'a truncated literal': { block: [4, (3 << 2) | 0, 1, 2], message: /truncated literal$/ },
    'a truncated literal length': { block: [4, (62 << 2) | 0, 1], message: /truncated literal length/ },
    'a truncated 1-byte-offset copy': { block: [8, (3 << 2) | 0, 1, 2, 3, 4, 1], message: /truncated copy/ },
    'a truncated 4-byte-offset copy': { block: [8, (3 << 2) | 0, 1, 2, 3, 4, 3, 4, 0], message: /truncated copy/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, () => {
      assert.throws(() => snappyDecode(Buffer.from(c.block), 1000), { code: 'bad_snappy', message: c.message });
    });
  }
});

test('snappy: corrupted blocks either decode as snappyjs does or are refused with a WireError', () => {
  fc.assert(
    fc.property(repetitive, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (data, edits) => {
      const block = Buffer.from(snappyEncode(data));
      for (const [at, b] of edits) block[at % block.length] = b;
      let got: Buffer;
      try {
        got = snappyDecode(block, 1 << 16);
      } catch (err) {
        assert.ok(err instanceof WireError, String(err));
        return;
      }
      assert.deepEqual(got, Buffer.from(snappy.uncompress(block, 1 << 16)));
    }),
    { numRuns: 1000 },
  );
});
