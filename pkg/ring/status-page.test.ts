import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { waitUntil } from '../testutil/index.js';
import { defaults } from '../flagext/index.js';
import { MemoryClient, MemoryStore } from '../kv/index.js';
import { ringConfig } from './config.js';
import { instanceDescCodec, instanceKey, type InstanceDesc } from './desc.js';
import { Ring } from './ring.js';
import { registerRingStatusPage, type InstanceStatus } from './status-page.js';
import { instance } from './testing.js';

describe('ring status page', () => {
  const now = 2_000_000_000_000;
  const kv = new MemoryClient<InstanceDesc>(new MemoryStore(), instanceDescCodec);
  const registry = new Registry();
  const ring = new Ring({ ...defaults(ringConfig('')), heartbeatTimeout: 60_000 }, 'ingester', 'ring', {
    kv,
    logger: pino({ level: 'silent' }),
    registry,
    now: () => now,
  });
  let app: FastifyInstance;

  before(async () => {
    const fresh = now / 1000 - 5;
    await kv.cas(instanceKey('ring', 'ing-1'), () => instance('ing-1', [100, 2 ** 31], { zone: 'zone-a', timestamp: fresh }));
    await kv.cas(instanceKey('ring', 'ing-2'), () => instance('ing-2', [2 ** 30], { zone: 'zone-b', timestamp: fresh }));
    await kv.cas(instanceKey('ring', '<dead>'), () => instance('<dead>', [3 * 2 ** 30], { zone: 'zone-c', timestamp: fresh - 3600 }));
    ring.service.startAsync();
    await ring.service.awaitRunning();
    app = Fastify();
    await registerRingStatusPage(app, '/ingester/ring', ring);
  });
  after(async () => {
    await app.close();
    ring.service.stopAsync();
    await ring.service.awaitTerminated();
  });

  it('shows every instance in an HTML table, with Forget only for the unhealthy one', async () => {
    const res = await app.inject({ method: 'GET', url: '/ingester/ring' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    for (const id of ['ing-1', 'ing-2', '&lt;dead&gt;']) assert.ok(res.body.includes(`<td>${id}</td>`), id);
    assert.match(res.body, /ACTIVE \(unhealthy\)/);
    assert.equal(res.body.match(/<button/g)?.length, 1);
    assert.match(res.body, /name="forget" value="&lt;dead&gt;"/);
    assert.match(res.body, /<td>5s ago<\/td>/);
    assert.equal(res.body.match(/<th>/g)?.length, 9);
    assert.ok(res.body.includes('<th>Forget</th>'));
    assert.match(res.body, /<tr class="bad"><td>&lt;dead&gt;<\/td>/);
  });

  it('answers JSON with ownership summing to 100%', async () => {
    const res = await app.inject({ method: 'GET', url: '/ingester/ring', headers: { accept: 'application/json' } });
    const body = res.json() as { name: string; instances: InstanceStatus[] };
    assert.equal(body.name, 'ingester');
    assert.deepEqual(body.instances.map((i) => [i.id, i.zone, i.tokens, i.healthy]), [
      ['<dead>', 'zone-c', 1, false],
      ['ing-1', 'zone-a', 2, true],
      ['ing-2', 'zone-b', 1, true],
    ]);
    const total = body.instances.reduce((a, i) => a + i.ownership, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
  });

  it('Forget removes the instance from the ring', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/ingester/ring',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'forget=%3Cdead%3E',
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/ingester/ring');
    assert.equal(await kv.get(instanceKey('ring', '<dead>')), null);
    await waitUntil(() => ring.instancesCount() === 2, { what: 'ring to drop the instance' });
    const page = await app.inject({ method: 'GET', url: '/ingester/ring' });
    assert.ok(!page.body.includes('dead'));
    // Every instance healthy: no Forget column (it used to be an empty ninth one).
    assert.equal(page.body.match(/<th>/g)?.length, 8);
    assert.ok(!page.body.includes('<th>Forget</th>'));
    assert.match(page.body, /<p>2 instances, 2 healthy\./);
    assert.match(page.body, /<a href="\/status">Status<\/a>/);
  });

  it('rejects a Forget without an instance or for an unknown one', async () => {
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: '/ingester/ring', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
    assert.equal((await post('')).statusCode, 400);
    assert.equal((await post('forget=nope')).statusCode, 404);
  });

  it('exports ring metrics', async () => {
    const text = await registry.metrics();
    assert.match(text, /myelin_ring_members\{name="ingester",state="ACTIVE"\} 2/);
    assert.match(text, /myelin_ring_tokens_owned\{name="ingester",member="ing-1"\} 2/);
    assert.match(text, /myelin_ring_tokens_total\{name="ingester"\} 3/);
  });
});
