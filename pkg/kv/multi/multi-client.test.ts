import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { waitUntil } from '../../testutil/index.js';
import { kvAcceptance, type Doc } from '../acceptance.js';
import { jsonCodec } from '../codec.js';
import { MemoryClient } from '../memory/memory-client.js';
import { MemoryStore } from '../memory/memory-store.js';
import { MultiClient } from './multi-client.js';

const logger = pino({ level: 'silent' });

function pair(mirrorEnabled: boolean) {
  const a = new MemoryClient<Doc>(new MemoryStore(), jsonCodec());
  const b = new MemoryClient<Doc>(new MemoryStore(), jsonCodec());
  const registry = new Registry();
  const multi = new MultiClient<Doc>(
    { primary: 'a', secondary: 'b', mirrorEnabled, mirrorTimeout: 1000 },
    [
      { name: 'a', client: a },
      { name: 'b', client: b },
    ],
    { logger, registry, kvName: 'test' },
  );
  return { a, b, multi, registry };
}

describe('multi KV', () => {
  kvAcceptance(async () => pair(true).multi);

  it('mirrors writes and deletes to the secondary when enabled, and counts them', async () => {
    const { b, multi, registry } = pair(true);
    await multi.cas('k', () => ({ n: 1 }));
    await multi.cas('gone', () => ({ n: 2 }));
    await multi.delete('gone');
    assert.deepEqual(await b.get('k'), { n: 1 });
    assert.equal(await b.get('gone'), null);
    const text = await registry.metrics();
    assert.match(text, /myelin_multikv_mirror_writes_total\{kv_name="test"\} 3/);
    assert.doesNotMatch(text, /myelin_multikv_mirror_write_errors_total\{/);
    assert.match(text, /myelin_multikv_current_primary\{kv_name="test",primary="a"\} 1/);

    multi.setMirrorEnabled(false);
    await multi.cas('k', () => ({ n: 5 }));
    assert.deepEqual(await b.get('k'), { n: 1 });
  });

  it('moves running watches to the new primary on a switch', async () => {
    const { a, b, multi, registry } = pair(false);
    await a.cas('x', () => ({ n: 1, who: 'a' }));
    await b.cas('x', () => ({ n: 1, who: 'b' }));
    const seen: string[] = [];
    const ac = new AbortController();
    const done = multi.watchKey('x', ac.signal, (v) => {
      seen.push(v?.who ?? 'none');
    });
    await waitUntil(() => seen.length === 1);
    multi.setPrimary('b');
    assert.equal(multi.primary, 'b');
    await waitUntil(() => seen.length === 2);
    await b.cas('x', () => ({ n: 2, who: 'b2' }));
    await a.cas('x', () => ({ n: 2, who: 'a2' }));
    await waitUntil(() => seen.length === 3);
    assert.deepEqual(seen, ['a', 'b', 'b2']);
    assert.match(await registry.metrics(), /myelin_multikv_current_primary\{kv_name="test",primary="b"\} 1/);
    ac.abort();
    await done;
  });

  it('follows the runtime config and falls back to the static config without it', () => {
    const { multi } = pair(false);
    multi.applyRuntimeConfig({ primary: 'b', mirrorEnabled: true });
    assert.equal(multi.primary, 'b');
    multi.applyRuntimeConfig({ primary: undefined, mirrorEnabled: undefined });
    assert.equal(multi.primary, 'a');
    multi.applyRuntimeConfig(undefined);
    assert.equal(multi.primary, 'a');
    assert.throws(() => multi.applyRuntimeConfig({ primary: 'consul', mirrorEnabled: undefined }), /no store named "consul"/);
  });
});
