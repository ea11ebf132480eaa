// One conformance suite for every Bucket backend (Thanos objstore acceptance_e2e_test.go in spirit).
// Each backend's test file calls bucketAcceptance with a function opening an empty bucket.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Bucket } from './bucket.js';
import { tenantBucket } from './prefixed-bucket.js';

export type OpenBucket = () => Promise<Bucket>;

async function listed(b: Bucket, prefix: string, recursive = false): Promise<string[]> {
  const out: string[] = [];
  await b.iter(prefix, (n) => void out.push(n), { recursive });
  return out;
}

async function rejectsNotFound(b: Bucket, p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(b.isObjNotFoundErr(err), `expected a not-found error, got ${String(err)}`);
    return true;
  });
}

const cases: Record<string, (b: Bucket) => Promise<void>> = {
  'upload then get returns the bytes': async (b) => {
    await b.upload('a/obj', Buffer.from('hello world'));
    assert.equal((await b.get('a/obj')).toString(), 'hello world');
    assert.equal(await b.exists('a/obj'), true);
    assert.equal((await b.attributes('a/obj')).size, 11);
  },
  'missing objects are not-found errors, exists is false': async (b) => {
    await rejectsNotFound(b, b.get('nope'));
    await rejectsNotFound(b, b.getRange('nope', 0, 10));
    await rejectsNotFound(b, b.attributes('nope'));
    await rejectsNotFound(b, b.delete('nope'));
    assert.equal(await b.exists('nope'), false);
    assert.equal(b.isObjNotFoundErr(new Error('other')), false);
  },
  'get range: middle, to the end, past the end': async (b) => {
    await b.upload('r', Buffer.from('0123456789'));
    assert.equal((await b.getRange('r', 2, 3)).toString(), '234');
    assert.equal((await b.getRange('r', 0, 10)).toString(), '0123456789');
    assert.equal((await b.getRange('r', 7, -1)).toString(), '789');
    assert.equal((await b.getRange('r', 8, 100)).toString(), '89');
    assert.equal((await b.getRange('r', 10, 5)).length, 0);
  },
  'empty object': async (b) => {
    await b.upload('empty', Buffer.alloc(0));
    assert.equal((await b.get('empty')).length, 0);
    assert.equal((await b.attributes('empty')).size, 0);
  },
  'upload from a stream, large object, overwrite': async (b) => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const chunks = [big.subarray(0, 1 << 20), big.subarray(1 << 20)];
    await b.upload('big', Readable.from(chunks));
    assert.ok((await b.get('big')).equals(big));
    assert.ok((await b.getRange('big', 1_500_000, 1000)).equals(big.subarray(1_500_000, 1_501_000)));
    await b.upload('big', Buffer.from('small now'));
    assert.equal((await b.get('big')).toString(), 'small now');
  },
  'iter lists one level with directories, or everything recursively, in order': async (b) => {
    for (const n of ['t/x/1', 't/x/2', 't/y', 't/z/deep/3', 't-other', 'u/1']) await b.upload(n, Buffer.from(n));
    assert.deepEqual(await listed(b, ''), ['t-other', 't/', 'u/']);
    assert.deepEqual(await listed(b, 't'), ['t/x/', 't/y', 't/z/']);
    assert.deepEqual(await listed(b, 't/'), ['t/x/', 't/y', 't/z/']);
    assert.deepEqual(await listed(b, 't', true), ['t/x/1', 't/x/2', 't/y', 't/z/deep/3']);
    assert.deepEqual(await listed(b, 'nothing-here'), []);
    assert.deepEqual(await listed(b, 't/x/1'), []);
  },
  'iter awaits an async callback and stops on its error': async (b) => {
    for (const n of ['d/1', 'd/2', 'd/3']) await b.upload(n, Buffer.from(n));
    const seen: string[] = [];
    await assert.rejects(
      b.iter('d', async (n) => {
        await Promise.resolve();
        seen.push(n);
        if (n === 'd/2') throw new Error('stop');
      }),
      /stop/,
    );
    assert.deepEqual(seen, ['d/1', 'd/2']);
  },
  'delete removes the object and its now-empty directory': async (b) => {
    await b.upload('del/a/1', Buffer.from('1'));
    await b.upload('del/b', Buffer.from('2'));
    await b.delete('del/a/1');
    assert.equal(await b.exists('del/a/1'), false);
    assert.deepEqual(await listed(b, 'del'), ['del/b']);
  },
  'names with spaces and non-ASCII characters': async (b) => {
    const name = 'odd names/ä ö+%20#?.json';
    await b.upload(name, Buffer.from('x'));
    assert.equal((await b.get(name)).toString(), 'x');
    assert.deepEqual(await listed(b, 'odd names'), [name]);
  },
  'invalid names are rejected': async (b) => {
    for (const n of ['', '../x', 'a/../b', 'a//b', '/abs', 'a/./b']) {
      await assert.rejects(b.upload(n, Buffer.from('x')), /name/, n);
      await assert.rejects(b.get(n), /name/, n);
    }
  },
  'tenant buckets are isolated from each other': async (b) => {
    const ta = tenantBucket(b, 'team-a');
    const tb = tenantBucket(b, 'team-b');
    await ta.upload('01ABC/meta.json', Buffer.from('a'));
    await tb.upload('01DEF/meta.json', Buffer.from('b'));
    assert.deepEqual(await listed(ta, ''), ['01ABC/']);
    assert.deepEqual(await listed(tb, '', true), ['01DEF/meta.json']);
    await rejectsNotFound(tb, tb.get('01ABC/meta.json'));
    assert.equal(await b.exists('team-a/01ABC/meta.json'), true);
    await assert.rejects(ta.get('../team-b/01DEF/meta.json'), /name/);
    assert.throws(() => tenantBucket(b, '..'), /tenant/);
    assert.throws(() => tenantBucket(b, 'a/b'), /tenant/);
  },
};

/** Registers one test per case; `open` returns an empty bucket each time. */
export function bucketAcceptance(open: OpenBucket): void {
  for (const [name, fn] of Object.entries(cases)) {
    void test(name, async () => {
      const b = await open();
      try {
        await fn(b);
      } finally {
        await b.close();
      }
    });
  }
}
