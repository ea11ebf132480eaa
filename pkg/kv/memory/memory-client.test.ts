import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kvAcceptance, type Doc } from '../acceptance.js';
import { jsonCodec } from '../codec.js';
import { MemoryClient } from './memory-client.js';
import { MemoryStore } from './memory-store.js';

describe('memory KV', () => {
  kvAcceptance(async () => new MemoryClient<Doc>(new MemoryStore(), jsonCodec(), 'test/'));

  it('clients with different prefixes on one store do not see each other', async () => {
    const store = new MemoryStore();
    const a = new MemoryClient<Doc>(store, jsonCodec(), 'a/');
    const b = new MemoryClient<Doc>(store, jsonCodec(), 'b/');
    await a.cas('k', () => ({ n: 1 }));
    assert.equal(await b.get('k'), null);
    assert.deepEqual(await new MemoryClient<Doc>(store, jsonCodec(), '').list(''), ['a/k']);
  });
});
