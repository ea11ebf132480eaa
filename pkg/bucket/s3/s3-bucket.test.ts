// The S3 backend runs through the real AWS SDK v3 client against fauxqs, a local S3-compatible
// emulator (see testing/s3-test-server.ts); no AWS is involved. What fauxqs does not check (SSE
// headers, credentials) is seen through a proxy that records every request's headers.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { bucketAcceptance } from '../acceptance.js';
import { validateS3Config, type S3Config } from './config.js';
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

/** An HTTP proxy to the test server that records the method, path and headers of every request. */
async function recordingProxy(): Promise<{ endpoint: string; requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[]; close(): Promise<void> }> {
  const requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[] = [];
  const proxy = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const [host, port] = server.endpoint.split(':');
    const upstream = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }),
  };
}

test('s3: SSE-S3 and SSE-KMS headers go with every PutObject and CreateMultipartUpload', async () => {
  const proxy = await recordingProxy();
  try {
    const name = (await server.createBucket()).bucketName;
    const cases: [S3Config['sse'], Record<string, string>][] = [
      [{ type: 'SSE-S3', kmsKeyId: '', kmsEncryptionContext: '' }, { 'x-amz-server-side-encryption': 'AES256' }],
      [{ type: 'SSE-KMS', kmsKeyId: 'key-1', kmsEncryptionContext: '{"team":"a"}' }, {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'key-1',
        'x-amz-server-side-encryption-context': Buffer.from('{"team":"a"}').toString('base64'),
      }],
    ];
    for (const [sse, want] of cases) {
      proxy.requests.length = 0;
      const b = new S3Bucket({ ...server.config(name), endpoint: proxy.endpoint, sse }, { partSize: s3MinPartSize });
      try {
        await b.upload('small', Buffer.from('x'));
        await b.upload('big', Readable.from([Buffer.alloc(s3MinPartSize + 1)]));
        assert.equal((await b.get('small')).toString(), 'x');
      } finally {
        await b.close();
      }
      // Single PUTs and multipart starts carry SSE; the parts do not (S3 takes it from the start).
      const writes = proxy.requests.filter((r) => (r.method === 'PUT' && !r.path.includes('partNumber=')) || (r.method === 'POST' && r.path.includes('uploads')));
      assert.deepEqual(writes.map((r) => `${r.method} ${r.path.split('?')[0]}`), [`PUT /${name}/small`, `POST /${name}/big`], sse.type);
      for (const w of writes) {
        const got = Object.fromEntries(Object.keys(want).map((k) => [k, w.headers[k]]));
        assert.deepEqual(got, want, `${sse.type}: ${w.method} ${w.path}`);
      }
    }
  } finally {
    await proxy.close();
  }
});

test('s3: without access_key_id and secret_access_key, the keys come from the AWS credential chain (AWS_ACCESS_KEY_ID)', async () => {
  const proxy = await recordingProxy();
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'FROMTHEENVIRONMENT';
  process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
  const cfg = await server.createBucket();
  const b = new S3Bucket({ ...cfg, endpoint: proxy.endpoint, accessKeyId: '', secretAccessKey: '' });
  try {
    await b.upload('o', Buffer.from('v'));
    assert.equal((await b.get('o')).toString(), 'v');
    assert.ok(proxy.requests.length >= 2);
    for (const r of proxy.requests) assert.match(String(r.headers.authorization), /^AWS4-HMAC-SHA256 Credential=FROMTHEENVIRONMENT\//, `${r.method} ${r.path}`);
  } finally {
    for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await b.close();
    await proxy.close();
  }
});
