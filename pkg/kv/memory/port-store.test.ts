import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { kvAcceptance, type Doc } from '../acceptance.js';
import { jsonCodec } from '../codec.js';
import { MemoryClient } from './memory-client.js';
import { MemoryStore } from './memory-store.js';
import { PortStore, serveMemoryStore } from './port-store.js';

const ports: MessagePort[] = [];
function bridged(store: MemoryStore): PortStore {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serveMemoryStore(store, port1);
  return new PortStore(port2);
}

describe('memory KV over a MessagePort', () => {
  after(() => {
    for (const p of ports) p.close();
  });

  kvAcceptance(async () => new MemoryClient<Doc>(bridged(new MemoryStore()), jsonCodec(), 'test/'));

  it('a client on the bridge and one on the store itself see each other\'s writes and race fairly', async () => {
    const store = new MemoryStore();
    const local = new MemoryClient<Doc>(store, jsonCodec(), 'r/');
    const remote = new MemoryClient<Doc>(bridged(store), jsonCodec(), 'r/');
    await remote.cas('k', () => ({ n: 1, who: 'remote' }));
    assert.deepEqual(await local.get('k'), { n: 1, who: 'remote' });
    const bump = (c: MemoryClient<Doc>) => c.cas('k', async (cur) => {
      await new Promise((r) => setImmediate(r));
      return { n: (cur?.n ?? 0) + 1 };
    });
    await Promise.all([bump(local), bump(remote), bump(local), bump(remote)]);
    assert.deepEqual(await remote.get('k'), { n: 5 });
    assert.deepEqual(await remote.list(''), ['k']);
  });

  it('a closed port stops the served side\'s listeners and fails the worker side\'s calls', async () => {
    const store = new MemoryStore();
    const { port1, port2 } = new MessageChannel();
    serveMemoryStore(store, port1);
    const remote = new PortStore(port2);
    const seen: string[] = [];
    remote.listen('', (k) => seen.push(k));
    await remote.compareAndPut('a', new Uint8Array([1]), 0);
    port2.close();
    await new Promise((r) => setTimeout(r, 20));
    store.compareAndPut('b', new Uint8Array([2]), 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, ['a']);
    await assert.rejects(remote.keys(''), /memory KV port closed/);
  });
});
