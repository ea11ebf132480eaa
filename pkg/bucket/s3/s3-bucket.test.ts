// The S3 backend runs through the real AWS SDK v3 client against s3rver, a local S3-compatible
// server (fauxqs, see testing/s3-test-server.ts); no AWS is involved.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { bucketAcceptance } from '../acceptance.js';
import { validateS3Config } from './config.js';
import { S3Bucket, s3MinPartSize } from './s3-bucket.js';
import { S3TestServer } from './testing/s3-test-server.js';

const server = new S3TestServer();
before(() => server.start());
after(() => server.stop());

bucketAcceptance(async () => new S3Bucket(await server.createBucket(), { listPageSize: 3 })); // every listing paginates

test('s3: a stream larger than a part goes up as a multipart upload and reads back whole', async () => {
  const b = new S3Bucket(await server.createBucket(), { partSize: s3MinPartSize });
  try {
    const big = Buffer.alloc(2 * s3MinPartSize + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const pieces = [];
    for (let off = 0; off < big.length; off += 1 << 20) pieces.push(big.subarray(off, off + (1 << 20)));
    await b.upload('chunks/000001', Readable.from(pieces));
    assert.equal((await b.attributes('chunks/000001')).size, big.length);
    assert.ok((await b.get('chunks/000001')).equals(big));
    assert.ok((await b.getRange('chunks/000001', s3MinPartSize - 10, 20)).equals(big.subarray(s3MinPartSize - 10, s3MinPartSize + 10)));
  } finally {
    await b.close();
  }
});

test('s3: a failed stream aborts the upload and leaves no object', async () => {
  const b = new S3Bucket(await server.createBucket(), { partSize: s3MinPartSize });
  try {
    const body = new Readable({
      read() {
        this.push(Buffer.alloc(s3MinPartSize + 1));
        this.destroy(new Error('source broke'));
      },
    });
    await assert.rejects(b.upload('x/obj', body), /upload x\/obj/);
    assert.equal(await b.exists('x/obj'), false);
  } finally {
    await b.close();
  }
});

test('s3: a missing bucket is an error naming it, not "not found"', async () => {
  const missing = new S3Bucket(server.config('no-such-bucket'));
  try {
    await assert.rejects(missing.get('x'), (err) => !missing.isObjNotFoundErr(err) && /get s3:\/\/no-such-bucket\/x/.test(String(err)));
    await assert.rejects(missing.iter('', () => undefined), /list s3:\/\/no-such-bucket/);
  } finally {
    await missing.close();
  }
});

test('s3: config errors name the key', () => {
  const cfg = server.config('b');
  assert.throws(() => validateS3Config({ ...cfg, bucketName: '' }, 'blocks_storage.s3'), /blocks_storage\.s3\.bucket_name is required/);
  assert.throws(() => validateS3Config({ ...cfg, secretAccessKey: '' }, 'blocks_storage.s3'), /access_key_id and secret_access_key must be set together/);
  assert.throws(() => validateS3Config({ ...cfg, endpoint: 'http://x:1' }, 'blocks_storage.s3'), /endpoint must be hostname\[:port\] without a scheme/);
  assert.throws(() => validateS3Config({ ...cfg, sse: { type: 'SSE-KMS', kmsKeyId: '', kmsEncryptionContext: '' } }, 'blocks_storage.s3'), /sse\.kms_key_id is required/);
  assert.throws(() => validateS3Config({ ...cfg, sse: { type: 'SSE-KMS', kmsKeyId: 'k', kmsEncryptionContext: '[1]' } }, 'blocks_storage.s3'), /kms_encryption_context must be a JSON object of strings/);
});
