import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FilesystemBucket, S3Bucket, type Bucket } from '../bucket/index.js';
import { S3TestServer } from '../bucket/s3/testing/s3-test-server.js';
import { BucketRuleStore, LocalRuleStore, ReadOnlyStoreError } from './rule-store.js';
import { parseRuleGroup } from './rulefmt.js';

const g = (name: string) => parseRuleGroup(`name: ${name}\nrules:\n  - record: r\n    expr: up\n`);

// The same checks over each writable backend: a directory, and S3 through the local S3 test server
// (fauxqs, an S3 API emulator: not AWS, but the S3 client's real requests).
const backends: Record<string, (t: TestContext) => Promise<Bucket>> = {
  filesystem: async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'myelin-rule-store-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return new FilesystemBucket(dir);
  },
  s3: async (t) => {
    const server = new S3TestServer();
    await server.start();
    t.after(() => server.stop());
    return new S3Bucket(await server.createBucket());
  },
};

test('the bucket store keeps groups under rules/<tenant>/<base64url namespace>/<base64url group>', async (t) => {
  for (const [name, newBucket] of Object.entries(backends)) {
    await t.test(name, async (t) => {
      const bucket = await newBucket(t);
      const store = new BucketRuleStore(bucket);
      await store.setGroup('t1', 'team/a b', g('z'));
      await store.setGroup('t1', 'team/a b', g('a'));
      await store.setGroup('t2', 'other', g('x'));
      assert.ok(await bucket.exists(`rules/t1/${Buffer.from('team/a b').toString('base64url')}/${Buffer.from('z').toString('base64url')}`));
      assert.deepEqual(await store.tenants(), ['t1', 't2']);
      assert.deepEqual([...(await store.rules('t1'))].map(([ns, gs]) => [ns, gs.map((x) => x.name)]), [['team/a b', ['a', 'z']]]);
      // A second store over the same bucket (another ruler) reads the same groups back.
      assert.deepEqual([...(await new BucketRuleStore(bucket).rules('t1')).values()].flat(), [g('a'), g('z')]);
      assert.equal(await store.deleteGroup('t1', 'team/a b', 'a'), true);
      assert.equal(await store.deleteGroup('t1', 'team/a b', 'a'), false);
      assert.deepEqual([...(await store.rules('t1')).values()].flat().map((x) => x.name), ['z']);
    });
  }
});

test('the local store reads Prometheus rule files per tenant, refuses changes, and has no tenants without its directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-rule-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await new LocalRuleStore(join(dir, 'missing')).tenants(), []);
  await mkdir(join(dir, 't1'));
  await writeFile(join(dir, 't1', 'alerts.yml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n');
  const store = new LocalRuleStore(dir);
  assert.deepEqual(await store.tenants(), ['t1']);
  assert.deepEqual([...(await store.rules('t1')).keys()], ['alerts.yml']);
  await assert.rejects(store.setGroup(), ReadOnlyStoreError);
});
