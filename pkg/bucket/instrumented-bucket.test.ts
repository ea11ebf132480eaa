import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { FilesystemBucket } from './filesystem/filesystem-bucket.js';
import { instrumentedBucket } from './instrumented-bucket.js';

test('instrumented bucket counts operations, failures (not-found excluded) and fetched bytes', async () => {
  const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-instr-'));
  try {
    const reg = new Registry();
    const b = instrumentedBucket(new FilesystemBucket(root), reg, 'store-gateway');
    await b.upload('a', Buffer.from('12345'));
    await b.get('a');
    await b.getRange('a', 1, 2);
    await assert.rejects(b.get('missing'));
    await assert.rejects(b.upload('../x', Buffer.from('x')));
    const text = await reg.metrics();
    const line = (s: string) => assert.ok(text.includes(s), `missing ${s} in\n${text}`);
    line('myelin_objstore_bucket_operations_total{bucket="store-gateway",operation="get"} 2');
    line('myelin_objstore_bucket_operation_failures_total{bucket="store-gateway",operation="get"} 0');
    line('myelin_objstore_bucket_operation_failures_total{bucket="store-gateway",operation="upload"} 1');
    line('myelin_objstore_bucket_operation_fetched_bytes_total{bucket="store-gateway",operation="get"} 5');
    line('myelin_objstore_bucket_operation_fetched_bytes_total{bucket="store-gateway",operation="get_range"} 2');
    line('myelin_objstore_bucket_operation_duration_seconds_count{bucket="store-gateway",operation="upload"} 1');
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
