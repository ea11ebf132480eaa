// The GCS backend runs through the real @google-cloud/storage client against FakeGcsServer, a
// local server speaking the JSON API; no real Google Cloud Storage is involved.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { bucketAcceptance } from '../acceptance.js';
import { GcsBucket } from './gcs-bucket.js';
import { FakeGcsServer } from './testing/fake-gcs-server.js';

const server = new FakeGcsServer();
before(() => server.start());
after(() => server.stop());
let n = 0;
const open = (pageSize?: number) => new GcsBucket({ bucketName: `bucket-${n++}`, serviceAccount: '', endpoint: server.endpoint }, pageSize);

bucketAcceptance(async () => open(3)); // a small page size makes every listing paginate

test('gcs: uploads go multipart for small buffers and resumable for streams; lists paginate', async () => {
  const b = open(4);
  const before = new Map(server.requests);
  const delta = (k: string) => (server.requests.get(k) ?? 0) - (before.get(k) ?? 0);
  await b.upload('small', Buffer.from('x'));
  await b.upload('streamed', Readable.from([Buffer.from('a'), Buffer.from('b')]));
  assert.equal(delta('POST multipart'), 1);
  assert.equal(delta('POST resumable'), 1);
  assert.equal((await b.get('streamed')).toString(), 'ab');
  for (let i = 0; i < 10; i++) await b.upload(`many/${String(i).padStart(4, '0')}`, Buffer.from('v'));
  const names: string[] = [];
  await b.iter('many', (x) => void names.push(x));
  assert.equal(names.length, 10);
  assert.equal(names[9], 'many/0009');
  assert.equal(delta('GET list'), 3);
});

test('gcs: a bad service account is a clear config error', () => {
  assert.throws(() => new GcsBucket({ bucketName: 'b', serviceAccount: '{nope', endpoint: '' }), /service_account is not valid JSON/);
  assert.throws(() => new GcsBucket({ bucketName: '', serviceAccount: '', endpoint: '' }), /bucket_name is empty/);
});
