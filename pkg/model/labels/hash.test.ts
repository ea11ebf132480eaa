import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { labelsHash, labelsHashHiLo } from './hash.js';
import { Interner } from './interner.js';
import { Labels } from './labels.js';
import { compareUtf8, isValidLabelName, isValidLabelNameBytes, isValidMetricName, isValidMetricNameBytes, isValidUtf8String } from './validate.js';

/** Reference FNV-1a 64 with BigInt over the bytes Prometheus hashes. */
function fnv1a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

function layout(ls: Labels): Uint8Array {
  const parts: Buffer[] = [];
  for (const s of ls.pairs()) parts.push(Buffer.from(s, 'utf8'), Buffer.from([0xff]));
  return Buffer.concat(parts);
}

test('labels hash is FNV-1a 64 over the Prometheus byte layout', () => {
  assert.equal(fnv1a(Buffer.from('a')), 0xaf63dc4c8601ec8cn); // published FNV-1a test vector
  assert.equal(labelsHash(Labels.EMPTY), 0xcbf29ce484222325n);
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), (rec) => {
      const ls = Labels.fromRecord(rec);
      const h = labelsHash(ls);
      assert.equal(h, fnv1a(layout(ls)));
      const [hi, lo] = labelsHashHiLo(ls);
      assert.equal((BigInt(hi) << 32n) | BigInt(lo), h);
    }),
    { numRuns: 200 },
  );
});

test('interner shares instances and releases them', () => {
  const it = new Interner();
  const a = it.intern('job');
  it.intern(['j', 'o', 'b'].join(''));
  assert.equal(it.size, 1);
  it.release(a);
  assert.equal(it.size, 1);
  it.release(a);
  assert.equal(it.size, 0);
  assert.throws(() => it.release('job'), /BUG/);
  // A freed slot is reused and holds the new string.
  const b = it.intern('x');
  const c = it.intern('y');
  it.release(b);
  assert.equal(it.intern('z'), 'z');
  assert.equal(it.intern(['y'].join('')), c);
  assert.equal(it.size, 2);
});

test('name validation', () => {
  for (const ok of ['up', 'a:b_c', '_x', ':x']) assert.ok(isValidMetricName(ok), ok);
  for (const bad of ['', '1a', 'a-b', 'é', 'a.b']) assert.ok(!isValidMetricName(bad), bad);
  for (const ok of ['a', '_a1', '__name__']) assert.ok(isValidLabelName(ok), ok);
  for (const bad of ['', ':a', 'a:b', '0']) assert.ok(!isValidLabelName(bad), bad);
  // The byte forms agree with the string forms.
  for (const s of ['up', 'a:b_c', '_x', ':x', '', '1a', 'a-b', 'é', 'a.b', 'a', '_a1', '__name__', ':a', 'a:b', '0']) {
    const b = Buffer.from(`#${s}`);
    assert.equal(isValidMetricNameBytes(b, 1, b.length), isValidMetricName(s), s);
    assert.equal(isValidLabelNameBytes(b, 1, b.length), isValidLabelName(s), s);
  }
  assert.ok(isValidUtf8String('héllo 😀'));
  assert.ok(!isValidUtf8String('a\ud800b'));
  assert.ok(!isValidUtf8String('\udc00'));
});

test('compareUtf8 orders as UTF-8 bytes (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }),
    { numRuns: 300 },
  );
  assert.ok(compareUtf8('\uffff', '😀') < 0, 'U+FFFF sorts before U+1F600 in UTF-8');
  assert.ok('\uffff' > '😀', 'but after it in UTF-16');
});

test('text form escapes like Prometheus', () => {
  assert.equal(Labels.fromRecord({ __name__: 'up', a: 'x\x07\x01"' }).toString(), 'up{a="x\\a\\x01\\""}');
  assert.equal(Labels.fromRecord({ __name__: 'my.metric', 'a.b': 'c' }).toString(), '{"my.metric", "a.b"="c"}');
});
