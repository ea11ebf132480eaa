// The KVClient acceptance suite (test helper, Thanos testStoreAPIsAcceptance style): every backend
// runs the same cases. Call it inside a `describe`; `open` returns a client on an empty prefix.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { waitUntil } from '../testutil/index.js';
import type { KVClient } from './client.js';

export interface Doc {
  n: number;
  who?: string;
}

export function kvAcceptance(open: () => Promise<KVClient<Doc>>): void {
  it('get of a missing key is null; cas creates it', async () => {
    const kv = await open();
    assert.equal(await kv.get('a'), null);
    assert.deepEqual(await kv.cas('a', (cur) => ({ n: (cur?.n ?? 0) + 1 })), { n: 1 });
    assert.deepEqual(await kv.get('a'), { n: 1 });
  });

  it('cas returning null writes nothing and returns the current value', async () => {
    const kv = await open();
    await kv.cas('a', () => ({ n: 5 }));
    assert.deepEqual(await kv.cas('a', () => null), { n: 5 });
    assert.equal(await kv.cas('missing', () => null), null);
    assert.equal(await kv.get('missing'), null);
  });

  it('an error thrown by the cas function aborts it', async () => {
    const kv = await open();
    await kv.cas('a', () => ({ n: 1 }));
    await assert.rejects(
      kv.cas('a', () => {
        throw new Error('no');
      }),
      /no/,
    );
    assert.deepEqual(await kv.get('a'), { n: 1 });
  });

  it('concurrent cas calls are retried and no update is lost', async () => {
    const kv = await open();
    const writers = 5;
    const each = 4;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = 0; i < each; i++) {
          await kv.cas('counter', async (cur) => {
            await new Promise((r) => setImmediate(r)); // widen the race window
            return { n: (cur?.n ?? 0) + 1 };
          });
        }
      }),
    );
    assert.deepEqual(await kv.get('counter'), { n: writers * each });
  });

  it('list returns sorted keys under a prefix; delete removes one', async () => {
    const kv = await open();
    for (const k of ['r/b', 'r/a', 'other', 'r/c']) await kv.cas(k, () => ({ n: 1 }));
    assert.deepEqual(await kv.list('r/'), ['r/a', 'r/b', 'r/c']);
    await kv.delete('r/b');
    await kv.delete('r/never');
    assert.deepEqual(await kv.list('r/'), ['r/a', 'r/c']);
    assert.equal(await kv.get('r/b'), null);
  });

  it('watchKey sees the current value, every change and the delete', async () => {
    const kv = await open();
    const seen: Array<number | null> = [];
    const ac = new AbortController();
    const done = kv.watchKey('w', ac.signal, (v) => {
      seen.push(v === null ? null : v.n);
    });
    await waitUntil(() => seen.length === 1, { what: 'initial value' });
    assert.deepEqual(seen, [null]);
    await kv.cas('w', () => ({ n: 1 }));
    await waitUntil(() => seen.length === 2, { what: 'first put' });
    await kv.cas('other', () => ({ n: 9 }));
    await kv.cas('w', () => ({ n: 2 }));
    await kv.delete('w');
    await waitUntil(() => seen.length === 4, { what: 'put and delete' });
    assert.deepEqual(seen, [null, 1, 2, null]);
    ac.abort();
    await done;
  });

  it('watchPrefix sees existing keys, then changes under the prefix only, until f returns false', async () => {
    const kv = await open();
    await kv.cas('p/1', () => ({ n: 1 }));
    const seen: string[] = [];
    const done = kv.watchPrefix('p/', new AbortController().signal, (k, v) => {
      seen.push(`${k}=${v === null ? 'deleted' : v.n}`);
      return v?.n !== 99;
    });
    await waitUntil(() => seen.length === 1, { what: 'initial key' });
    await kv.cas('q/1', () => ({ n: 7 }));
    await kv.cas('p/2', () => ({ n: 2 }));
    await kv.delete('p/1');
    await kv.cas('p/3', () => ({ n: 99 }));
    await done;
    assert.deepEqual(seen, ['p/1=1', 'p/2=2', 'p/1=deleted', 'p/3=99']);
  });
}
