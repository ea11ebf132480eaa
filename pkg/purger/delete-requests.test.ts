import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilesystemBucket } from '../bucket/index.js';
import { DeleteRequestState, activeDeletions, deleteRequestId, listDeleteRequests, writeDeleteRequest, type DeleteRequest } from './delete-requests.js';

test('delete requests: Cortex\'s objects, one state each, the later state winning after a crash between writes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-delete-requests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tb = new FilesystemBucket(dir);
  const id = deleteRequestId(1000, 2000, ['b', 'a{x="1"}']);
  assert.equal(id, deleteRequestId(1000, 2000, ['a{x="1"}', 'b']), 'selectors are sorted');
  assert.match(id, /^[0-9a-f]{32}$/);
  const r: DeleteRequest = { requestId: id, tenant: 't', startTime: 1000, endTime: 2000, selectors: ['a{x="1"}', 'b'], requestCreatedAt: 5, stateCreatedAt: 5, state: DeleteRequestState.Pending };
  await writeDeleteRequest(tb, r);
  assert.deepEqual(JSON.parse((await tb.get(`tombstones/${id}.pending.json`)).toString()),
    { request_id: id, start_time: 1000, end_time: 2000, request_created_at: 5, state_created_at: 5, selectors: ['a{x="1"}', 'b'], user_id: 't' });
  const cache = new Map<string, DeleteRequest>();
  assert.deepEqual(await listDeleteRequests(tb, cache), [r]);
  assert.equal(activeDeletions([r])[0].matcherSets.length, 2);

  // A crash after the new state was written but before the old one was removed: the later wins.
  await tb.upload(`tombstones/${id}.cancelled.json`, await tb.get(`tombstones/${id}.pending.json`));
  assert.equal((await listDeleteRequests(tb, cache))[0].state, DeleteRequestState.Cancelled);
  assert.deepEqual(activeDeletions(await listDeleteRequests(tb)), []);
  await writeDeleteRequest(tb, { ...r, state: DeleteRequestState.Cancelled, stateCreatedAt: 9 });
  assert.ok(!(await tb.exists(`tombstones/${id}.pending.json`)));
  assert.deepEqual((await listDeleteRequests(tb)).map((x) => [x.state, x.stateCreatedAt]), [['cancelled', 9]]);
  await listDeleteRequests(tb, cache);
  assert.equal(cache.size, 1, 'the cache forgets removed objects');

  await tb.upload('tombstones/garbage.json', Buffer.from('not ours'));
  assert.equal((await listDeleteRequests(tb)).length, 1, 'other objects are ignored');
  await tb.upload(`tombstones/${'0'.repeat(32)}.pending.json`, Buffer.from('{"request_id": 1}'));
  await assert.rejects(listDeleteRequests(tb), /request_id or selectors missing/);
});
