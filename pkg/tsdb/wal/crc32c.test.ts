import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './crc32c.js';

test('crc32c matches the published check values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  assert.equal(crc32c(new Uint8Array(0)), 0);
  const b = Buffer.from('hello, write-ahead log');
  assert.equal(crc32c(b, 5, b.length, crc32c(b, 0, 5)), crc32c(b));
});
