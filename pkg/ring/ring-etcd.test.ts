// Ring behaviour that needs a real etcd: watches recovering from an etcd restart, and migrating a
// ring from the in-memory store to etcd with the multi store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Etcd3 } from 'etcd3';
import { EtcdServer, waitUntil } from '../testutil/index.js';
import { defaults } from '../flagext/index.js';
import type { MultiClient} from '../kv/index.js';
import { createKVClient, kvConfig, MemoryStore, type KVClient, type KVConfig } from '../kv/index.js';
import { lifecyclerConfig, ringConfig } from './config.js';
import { InstanceState, instanceDescCodec, type InstanceDesc } from './desc.js';
import { Lifecycler } from './lifecycler.js';
import { Ring } from './ring.js';

const logger = pino({ level: 'silent' });

describe('ring on etcd', () => {
  let etcd: EtcdServer;
  const memory = new MemoryStore();
  const clients: KVClient<InstanceDesc>[] = [];
  const services: Array<{ service: { stopAsync(): void; awaitTerminated(): Promise<void> } }> = [];
  const registry = new Registry();

  const kv = (over: Partial<KVConfig> = {}): KVClient<InstanceDesc> => {
    const cfg = { ...defaults(kvConfig('')), store: 'etcd' as const, ...over };
    cfg.etcd = { ...cfg.etcd, endpoints: [etcd.endpoint], dialTimeout: 2000 };
    const c = createKVClient(cfg, instanceDescCodec, { memory, logger, registry, kvName: 'ingester-ring' });
    clients.push(c);
    return c;
  };
  const lcCfg = (id: string) => ({ ...defaults(lifecyclerConfig('ingester.')), id, addr: `${id}:9095`, numTokens: 8, heartbeatPeriod: 50, observePeriod: 0 });
  const startLc = async (key: string, id: string, client = kv()) => {
    const lc = new Lifecycler(lcCfg(id), defaults(ringConfig('')), 'ingester', key, { kv: client, logger, registry });
    services.push(lc);
    lc.service.startAsync();
    await lc.service.awaitRunning();
    return lc;
  };
  const startRing = async (key: string, client = kv()) => {
    const r = new Ring(defaults(ringConfig('')), 'ingester', key, { kv: client, logger, registry });
    services.push(r);
    r.service.startAsync();
    await r.service.awaitRunning();
    return r;
  };
  const active = (r: Ring) => r.snapshot().instances.filter((i) => i.state === InstanceState.ACTIVE).length;

  before(async () => {
    etcd = await EtcdServer.start();
  });
  after(async () => {
    for (const s of services) s.service.stopAsync();
    await Promise.allSettled(services.map((s) => s.service.awaitTerminated()));
    await Promise.all(clients.map((c) => c.close()));
    await etcd.close();
  });

  it('every client recovers its watch after etcd is stopped and restarted', async () => {
    const lcs = await Promise.all(['a', 'b', 'c'].map((id) => startLc('restart', id)));
    const r = await startRing('restart');
    await waitUntil(() => active(r) === 3, { what: 'three ACTIVE' });

    await etcd.stop();
    await waitUntil(async () => /myelin_kv_watch_restarts_total\{[^}]*\} [1-9]/.test(await registry.metrics()), { what: 'watch restarts counted' });
    await etcd.restart();

    const late = await startLc('restart', 'late');
    const rings = [r, ...lcs.map((lc) => lc.ring), late.ring];
    await waitUntil(() => rings.every((x) => active(x) === 4), { timeoutMs: 15_000, what: 'all clients see the instance that joined after the restart' });
  });

  it('the multi store migrates a ring from inmemory to etcd', async () => {
    const multiCfg: Partial<KVConfig> = {
      store: 'multi',
      multi: { primary: 'inmemory', secondary: 'etcd', mirrorEnabled: true, mirrorTimeout: 2000 },
    };
    const multis = ['a', 'b', 'c', 'reader'].map(() => kv(multiCfg) as MultiClient<InstanceDesc>);
    const lcs = await Promise.all(['a', 'b', 'c'].map((id, i) => startLc('migrate', id, multis[i])));
    const r = await startRing('migrate', multis[3]);
    await waitUntil(() => active(r) === 3, { what: 'three ACTIVE on inmemory' });

    // Mirroring copied every instance to etcd.
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      await waitUntil(async () => (await raw.getAll().prefix('collectors/migrate/').keys()).length === 3, { what: 'keys mirrored to etcd' });
    } finally {
      raw.close();
    }

    // Switch every process to etcd as primary, as a runtime-config change would.
    for (const m of multis) m.setPrimary('etcd');
    const late = await startLc('migrate', 'd', kv());
    await waitUntil(() => active(r) === 4 && lcs.every((lc) => active(lc.ring) === 4), { what: 'rings follow etcd after the switch' });
    assert.equal(active(late.ring), 4);
    assert.match(await registry.metrics(), /myelin_multikv_mirror_writes_total\{kv_name="ingester-ring"\} [1-9]/);
  });
});
