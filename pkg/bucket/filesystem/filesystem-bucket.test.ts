import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { bucketAcceptance } from '../acceptance.js';
import { FilesystemBucket } from './filesystem-bucket.js';

const root = await fs.mkdtemp(path.join(tmpdir(), 'myelin-fs-bucket-'));
after(() => fs.rm(root, { recursive: true, force: true }));
let n = 0;

bucketAcceptance(async () => new FilesystemBucket(path.join(root, String(n++))));

test('filesystem: a failed upload leaves neither the object nor a temp file', async () => {
  const b = new FilesystemBucket(path.join(root, 'fail'));
  const { Readable } = await import('node:stream');
  const body = new Readable({
    read() {
      this.push(Buffer.from('part'));
      this.destroy(new Error('source broke'));
    },
  });
  await assert.rejects(b.upload('x/obj', body), /upload x\/obj/);
  assert.equal(await b.exists('x/obj'), false);
  assert.deepEqual(await fs.readdir(path.join(root, 'fail', 'x')), []);
});

test('filesystem: temp files of uploads in flight are not listed', async () => {
  const b = new FilesystemBucket(path.join(root, 'tmp'));
  await b.upload('d/real', Buffer.from('1'));
  await fs.writeFile(path.join(root, 'tmp', 'd', '.upload-other-abc'), 'partial');
  const names: string[] = [];
  await b.iter('d', (x) => void names.push(x));
  assert.deepEqual(names, ['d/real']);
});
