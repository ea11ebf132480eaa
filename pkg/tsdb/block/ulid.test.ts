import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UlidGenerator, encodeUlid, isUlid, ulidTime } from './ulid.js';

test('ulid encodes time and randomness in Crockford base32', () => {
  // Reference value from the ULID spec's encoding of time 1469918176385 with zero randomness.
  assert.equal(encodeUlid(1469918176385, new Uint8Array(10)), '01ARYZ6S410000000000000000');
  assert.equal(encodeUlid(2 ** 48 - 1, new Uint8Array(10).fill(255)), '7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
  assert.equal(ulidTime('01ARYZ6S410000000000000000'), 1469918176385);
  assert.ok(isUlid('01M7ZW8MX2E1YB7XJRK4WENBT7'));
  assert.ok(!isUlid('01M7ZW8MX2E1YB7XJRK4WENBTU'));
  assert.ok(!isUlid('81M7ZW8MX2E1YB7XJRK4WENBT7'));
});

test('ulids from one generator strictly increase, even when the clock stands still or steps back', () => {
  const clock = [5, 5, 5, 4, 9];
  let i = 0;
  const g = new UlidGenerator(() => clock[i++], (b) => b.fill(0xff, 0, 9).fill(0xfe, 9));
  const ids = clock.map(() => g.next());
  for (let k = 1; k < ids.length; k++) assert.ok(ids[k - 1] < ids[k], `${ids[k - 1]} < ${ids[k]}`);
  assert.equal(ulidTime(ids[1]), 5);
  assert.equal(ulidTime(ids[2]), 6, 'random part overflowed into the next millisecond');
  assert.equal(ulidTime(ids[3]), 6, 'clock stepped back: stays on the last time');
  assert.equal(ulidTime(ids[4]), 9);
});
