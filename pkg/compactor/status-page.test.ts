import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fastify } from 'fastify';
import { FilesystemBucket, type Bucket } from '../bucket/index.js';
import { registerCompactorStatusPage } from './status-page.js';
import { HOUR, replicaSeries, shipIngesterBlock, testCompactor } from './testing.js';

test('/compactor/status: the current and last pass, their tenants and failures, as HTML and JSON', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-compactor-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bucket = new FilesystemBucket(join(dir, 'bucket'));
  // Two replicas of one range: due for a vertical compaction.
  for (const [r, ing] of ['ing-1', 'ing-2'].entries()) await shipIngesterBlock(bucket, 'team-a', ing, replicaSeries(2, 0, 2 * HOUR, 60_000, r), 0, 2 * HOUR);
  // Listing works; every upload fails, so the tenant's compaction fails.
  let listing = true;
  const broken: Bucket = Object.assign(Object.create(bucket) as Bucket, {
    iter: (...args: Parameters<Bucket['iter']>) => (listing ? bucket.iter(...args) : Promise.reject(new Error('bucket down'))),
    upload: () => Promise.reject(new Error('disk <full>')),
  });
  const c = testCompactor(broken, join(dir, 'data'), { now: 10 * HOUR });
  const app = fastify();
  registerCompactorStatusPage(app, c.compactor);

  let page = await app.inject('/compactor/status');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<tr><td>current<\/td><td>none yet<\/td>/);
  assert.match(page.body, /<tr><td>last<\/td><td>none yet<\/td>/);

  await c.compactor.compactUsers();
  page = await app.inject('/compactor/status');
  assert.match(page.body, /<tr><td>last<\/td><td>1970-01-01T10:00:00\.000Z<\/td><td>took 0s<\/td><td>1<\/td><td>1<\/td><\/tr>/);
  assert.match(page.body, /<tr class="bad"><td>team-a<\/td><td><code>compact blocks \w+,\w+ of tenant team-a: disk &lt;full&gt;<\/code><\/td><\/tr>/);
  assert.match(page.body, /Auto-refresh/);

  listing = false;
  await c.compactor.compactUsers();
  const json = (await app.inject({ url: '/compactor/status', headers: { accept: 'application/json' } })).json() as ReturnType<typeof c.compactor.passes>;
  assert.deepEqual(json.last, { startedAt: 10 * HOUR, finishedAt: 10 * HOUR, tenants: 0, failures: [{ tenant: '', error: 'bucket down' }] });
  assert.equal(json.current, undefined);
  assert.equal(json.intervalMs, c.cfg.compactionInterval);
  assert.match((await app.inject('/compactor/status')).body, /<td>\(listing tenants\)<\/td>/);
});
