import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadlineSignal } from './deadline.js';
import { sleep } from './service.js';

test('deadlineSignal aborts at the deadline with a TimeoutError', async () => {
  const d = deadlineSignal(20);
  assert.equal(d.signal.aborted, false);
  await sleep(60);
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as DOMException).name, 'TimeoutError');
  assert.equal(d.timedOut(), true);
  d.dispose();
});

test('deadlineSignal follows its parent, with the parent\'s reason, and is not a timeout then', () => {
  const parent = new AbortController();
  const d = deadlineSignal(60_000, parent.signal);
  parent.abort(new Error('client gone'));
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as Error).message, 'client gone');
  assert.equal(d.timedOut(), false);
  d.dispose();
  const already = deadlineSignal(60_000, parent.signal);
  assert.equal(already.signal.aborted, true, 'a parent aborted before is seen at once');
  already.dispose();
});

test('deadlineSignal: dispose stops the timer and the parent link; no timer past Node\'s limit', async () => {
  const parent = new AbortController();
  const d = deadlineSignal(20, parent.signal);
  d.dispose();
  parent.abort();
  await sleep(60);
  assert.equal(d.signal.aborted, false);
  const never = deadlineSignal(Infinity);
  await sleep(10);
  assert.equal(never.signal.aborted, false, 'Node would clamp an overlong timer to 1 ms');
  never.dispose();
});
