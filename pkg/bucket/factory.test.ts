import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { applyFlag, defaults, flagBindings } from '../flagext/index.js';
import { bucketConfig, validateBucketConfig } from './config.js';
import { newBucket } from './factory.js';
import { FakeGcsServer } from './gcs/testing/fake-gcs-server.js';
import { S3TestServer } from './s3/testing/s3-test-server.js';

test('blocks_storage flags select and configure the backend', async () => {
  const cfg = defaults(bucketConfig);
  assert.equal(cfg.backend, 'filesystem');
  const bindings = flagBindings(bucketConfig);
  const set = (flag: string, v: string) => applyFlag(cfg, bindings.get(flag) as never, v, flag);
  set('blocks-storage.backend', 'gcs');
  assert.throws(() => validateBucketConfig(cfg), /blocks_storage\.gcs\.bucket_name: required with backend gcs/);
  const server = new FakeGcsServer();
  await server.start();
  try {
    set('blocks-storage.gcs.bucket-name', 'blocks');
    set('blocks-storage.gcs.endpoint', server.endpoint);
    validateBucketConfig(cfg);
    const b = newBucket(cfg, { reg: new Registry(), name: 'test' });
    await b.upload('t/x', Buffer.from('gcs'));
    assert.equal((await b.get('t/x')).toString(), 'gcs');
  } finally {
    await server.stop();
  }
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'myelin-factory-'));
  try {
    set('blocks-storage.backend', 'filesystem');
    set('blocks-storage.filesystem.dir', dir);
    const b = newBucket(cfg, { reg: new Registry(), name: 'test' });
    await b.upload('t/x', Buffer.from('fs'));
    assert.equal((await fs.readFile(path.join(dir, 't', 'x'))).toString(), 'fs');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('-blocks-storage.backend=s3 and -blocks-storage.s3.* reach the S3 server', async () => {
  const cfg = defaults(bucketConfig);
  const bindings = flagBindings(bucketConfig);
  const set = (flag: string, v: string) => applyFlag(cfg, bindings.get(flag) as never, v, flag);
  set('blocks-storage.backend', 's3');
  assert.throws(() => validateBucketConfig(cfg), /blocks_storage\.s3\.bucket_name is required/);
  assert.throws(() => set('blocks-storage.s3.signature-version', 'v2'), /v2 is not supported/);
  const server = new S3TestServer();
  await server.start();
  try {
    await server.createBucket('blocks');
    for (const [flag, v] of [['bucket-name', 'blocks'], ['endpoint', server.endpoint], ['insecure', 'true'], ['access-key-id', 'k'], ['secret-access-key', 's']]) {
      set(`blocks-storage.s3.${flag}`, v);
    }
    validateBucketConfig(cfg);
    const b = newBucket(cfg, { reg: new Registry(), name: 'test' });
    await b.upload('t/x', Buffer.from('s3'));
    assert.equal((await b.get('t/x')).toString(), 's3');
    await b.close();
  } finally {
    await server.stop();
  }
});
