import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { EtcdServer, waitUntil } from '../testutil/index.js';
import { defaults } from '../flagext/index.js';
import { createKVClient, kvConfig, MemoryStore, type KVClient } from '../kv/index.js';
import { lifecyclerConfig, ringConfig, type LifecyclerConfig, type RingConfig } from './config.js';
import { InstanceState, instanceDescCodec, instanceKey, type InstanceDesc } from './desc.js';
import { Lifecycler } from './lifecycler.js';
import { Write } from './operation.js';
import { Ring } from './ring.js';

const logger = pino({ level: 'silent' });

/** A clock tests move by hand; lifecyclers heartbeat on real timers but stamp this time. */
class FakeClock {
  t = Date.now();
  now = (): number => this.t;
}

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  kv(): KVClient<InstanceDesc>;
}

function backends(): Backend[] {
  const memory: MemoryStore[] = [new MemoryStore()];
  let etcd: EtcdServer | undefined;
  const opened: KVClient<InstanceDesc>[] = [];
  const open = (store: 'inmemory' | 'etcd'): KVClient<InstanceDesc> => {
    const cfg = defaults(kvConfig(''));
    cfg.store = store;
    cfg.prefix = 'test/';
    if (etcd !== undefined) cfg.etcd.endpoints = [etcd.endpoint];
    const c = createKVClient(cfg, instanceDescCodec, { memory: memory[0], logger, registry: new Registry(), kvName: 'ring' });
    opened.push(c);
    return c;
  };
  return [
    { name: 'inmemory', setup: async () => {}, teardown: async () => {}, kv: () => open('inmemory') },
    {
      name: 'etcd',
      setup: async () => {
        etcd = await EtcdServer.start();
      },
      teardown: async () => {
        await Promise.all(opened.map((c) => c.close()));
        await etcd?.close();
      },
      kv: () => open('etcd'),
    },
  ];
}

let ringSeq = 0;

for (const backend of backends()) {
  describe(`lifecycler on ${backend.name}`, () => {
    const running: Array<{ service: { stopAsync(): void; awaitTerminated(): Promise<void> } }> = [];
    before(() => backend.setup());
    after(async () => {
      for (const r of running) r.service.stopAsync();
      await Promise.allSettled(running.map((r) => r.service.awaitTerminated()));
      await backend.teardown();
    });

    const ringCfg = (over: Partial<RingConfig> = {}): RingConfig => ({ ...defaults(ringConfig('')), ...over });
    const lcCfg = (id: string, over: Partial<LifecyclerConfig> = {}): LifecyclerConfig => ({
      ...defaults(lifecyclerConfig('ingester.')),
      id,
      addr: `${id}:9095`,
      numTokens: 16,
      heartbeatPeriod: 50,
      observePeriod: 30,
      ...over,
    });
    async function start(key: string, id: string, over: Partial<LifecyclerConfig> = {}, extra: Partial<ConstructorParameters<typeof Lifecycler>[4]> = {}, rc = ringCfg()) {
      const lc = new Lifecycler(lcCfg(id, over), rc, 'ingester', key, { kv: backend.kv(), logger, registry: new Registry(), ...extra });
      running.push(lc);
      lc.service.startAsync();
      await lc.service.awaitRunning();
      return lc;
    }
    async function reader(key: string, now?: () => number, rc = ringCfg()) {
      const r = new Ring(rc, 'ingester', key, { kv: backend.kv(), logger, registry: new Registry(), now });
      running.push(r);
      r.service.startAsync();
      await r.service.awaitRunning();
      return r;
    }
    const activeIds = (r: Ring) =>
      r
        .snapshot()
        .instances.filter((i) => i.state === InstanceState.ACTIVE)
        .map((i) => i.id);

    it('several lifecyclers join concurrently and converge on one ring with unique tokens', async () => {
      const key = `ring${ringSeq++}`;
      const lcs = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => start(key, id)));
      const r = await reader(key);
      await waitUntil(() => activeIds(r).length === 5 && lcs.every((lc) => lc.ring.snapshot().instances.length === 5), { what: 'five ACTIVE instances everywhere' });
      assert.equal(r.snapshot().tokens.length, 5 * 16);
      for (const lc of lcs) assert.equal(lc.state(), InstanceState.ACTIVE);
      assert.equal(r.get(12345, Write).instances.length, 3);
      await stopAll(lcs);
      await waitUntil(() => r.instancesCount() === 0, { what: 'unregistration' });
    });

    it('a younger instance re-picks tokens an older one already claimed', async () => {
      const key = `ring${ringSeq++}`;
      const clock = new FakeClock();
      const sameRandom = () => {
        let i = 0;
        return () => ((i++ * 7919) % 1000) / 1000; // both instances draw the same sequence
      };
      const old = await start(key, 'old', {}, { random: sameRandom(), now: clock.now });
      clock.t += 5000;
      const young = await start(key, 'young', {}, { random: sameRandom(), now: clock.now });
      await waitUntil(() => old.state() === InstanceState.ACTIVE && young.state() === InstanceState.ACTIVE, { what: 'both ACTIVE' });
      const r = await reader(key);
      await waitUntil(() => r.snapshot().tokens.length === 32, { what: 'disjoint tokens' });
      assert.deepEqual([...r.snapshot().tokensOwned()], [16, 16]);
      assert.equal(old.tokens().filter((t) => young.tokens().includes(t)).length, 0);
      await stopAll([old, young]);
    });

    it('an instance that stops heartbeating turns unhealthy, leaves write sets, and is forgotten', async () => {
      const key = `ring${ringSeq++}`;
      const clock = new FakeClock();
      const rc = ringCfg({ heartbeatTimeout: 60_000, replicationFactor: 3 });
      const lcs = await Promise.all(['a', 'b', 'c', 'd'].map((id) => start(key, id, { autoForgetUnhealthyPeriods: 5 }, { now: clock.now }, rc)));
      const frozen = await start(key, 'frozen', { heartbeatPeriod: 3_600_000, observePeriod: 0 }, { now: clock.now }, rc);
      const r = await reader(key, clock.now, rc);
      await waitUntil(() => activeIds(r).length === 5, { what: 'five ACTIVE' });
      const inWriteSets = () => {
        let hits = 0;
        for (let k = 0; k < 2 ** 32; k += 2 ** 24) if (r.get(k, Write).instances.some((i) => i.id === 'frozen')) hits++;
        return hits;
      };
      assert.ok(inWriteSets() > 0);
      clock.t += 2 * 60_000; // two heartbeat timeouts pass; the others heartbeat on, stamping the new time
      await waitUntil(() => r.getAllHealthy(Write).instances.length === 4 && inWriteSets() === 0, { what: 'frozen instance out of write sets' });
      assert.ok(r.instancesCount() === 5, 'still listed until auto-forget');
      clock.t += 4 * 60_000; // past 5 × the timeout
      await waitUntil(() => r.instancesCount() === 4, { what: 'auto-forget' });
      await stopAll([...lcs, frozen]);
    });

    it('keeps its tokens across a restart through the tokens file', async () => {
      const key = `ring${ringSeq++}`;
      const dir = await mkdtemp(join(tmpdir(), 'myelin-tokens-'));
      try {
        const path = join(dir, 'tokens');
        const first = await start(key, 'a', { tokensFilePath: path });
        await waitUntil(() => first.state() === InstanceState.ACTIVE, { what: 'ACTIVE' });
        const tokens = first.tokens();
        await stopAll([first]);
        const second = await start(key, 'a', { tokensFilePath: path });
        assert.equal(second.state(), InstanceState.ACTIVE);
        assert.deepEqual(second.tokens(), tokens);
        await stopAll([second]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('with beforeActive, is JOINING in the ring while the hook runs and ACTIVE after, on a restart with its tokens file too', async () => {
      const key = `ring${ringSeq++}`;
      const dir = await mkdtemp(join(tmpdir(), 'myelin-tokens-'));
      try {
        const r = await reader(key);
        for (const round of [1, 2]) {
          let release = (): void => {};
          const hookRan = new Promise<void>((resolve) => {
            const hook = async () => {
              resolve();
              await new Promise<void>((done) => (release = done));
            };
            void start(key, 'sg', { tokensFilePath: join(dir, 'tokens') }, { beforeActive: hook }).then((lc) => lcs.push(lc));
          });
          const lcs: Lifecycler[] = [];
          await hookRan;
          await waitUntil(() => r.snapshot().instances.some((i) => i.id === 'sg' && i.state === InstanceState.JOINING && i.tokens.length === 16),
            { what: `round ${round}: JOINING with tokens while the hook runs` });
          await new Promise((res) => setTimeout(res, 100));
          assert.deepEqual(activeIds(r), [], `round ${round}: not ACTIVE before the hook finished`);
          release();
          await waitUntil(() => activeIds(r).includes('sg'), { what: `round ${round}: ACTIVE after the hook` });
          await waitUntil(() => lcs.length === 1, { what: 'started' });
          await lcs[0].awaitActive(AbortSignal.timeout(5000));
          await stopAll(lcs);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('hands its tokens to a PENDING instance on shutdown and unregisters', async () => {
      const key = `ring${ringSeq++}`;
      const next = await start(key, 'next', { joinAfter: 3_600_000 });
      const leaving = await start(key, 'leaving', {}, { onLeaving: () => next.claimTokensFrom('leaving') });
      await waitUntil(() => leaving.state() === InstanceState.ACTIVE, { what: 'ACTIVE' });
      const tokens = leaving.tokens();
      assert.equal(next.state(), InstanceState.PENDING);
      assert.match(next.notReadyReason() ?? '', /instance next is PENDING in the ingester ring, not ACTIVE/);
      const r = await reader(key);
      await stopAll([leaving]);
      assert.equal(next.state(), InstanceState.ACTIVE);
      assert.equal(next.notReadyReason(), undefined);
      assert.deepEqual(next.tokens(), tokens);
      await waitUntil(() => r.instancesCount() === 1 && r.snapshot().tokensOwned()[0] === 16, { what: 'one owner left' });
      await stopAll([next]);
    });

    it('stays in the ring as LEAVING when it does not unregister', async () => {
      const key = `ring${ringSeq++}`;
      const lc = await start(key, 'a', { unregisterOnShutdown: false });
      await waitUntil(() => lc.state() === InstanceState.ACTIVE, { what: 'ACTIVE' });
      await stopAll([lc]);
      const stored = await backend.kv().get(instanceKey(key, 'a'));
      assert.equal(stored?.state, InstanceState.LEAVING);
    });
  });
}

async function stopAll(lcs: Array<{ service: { stopAsync(): void; awaitTerminated(): Promise<void> } }>): Promise<void> {
  for (const lc of lcs) lc.service.stopAsync();
  await Promise.all(lcs.map((lc) => lc.service.awaitTerminated()));
}
