import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InstanceState } from './desc.js';
import { Read, Reporting, Write } from './operation.js';
import { TooFewHealthyInstancesError } from './replication-set.js';
import { RingSnapshot } from './ring-snapshot.js';
import { RingView, type LookupConfig } from './ring-view.js';
import { instance, seededTokens } from './testing.js';

const nowMs = 1_000_000 * 1000; // matches instance() heartbeats
const cfg = (over: Partial<LookupConfig> = {}): LookupConfig => ({ replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwarenessEnabled: false, ...over });
const view = (descs: ReturnType<typeof instance>[], c = cfg()) => new RingView(new RingSnapshot(descs), c, () => nowMs);
const ring = (n: number, seed: number, tokens = 32, zones = 0) =>
  Array.from({ length: n }, (_, i) => instance(`i-${i}`, seededTokens(seed * 1000 + i + 1, tokens), { zone: zones > 0 ? `z${i % zones}` : '' }));

describe('RingView.get', () => {
  it('returns RF distinct instances, one per zone when zone-aware (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.boolean(), (n, rf, seed, key, zoned) => {
        const zones = zoned ? 3 : 0;
        const v = view(ring(n, seed, 16, zones), cfg({ replicationFactor: rf, zoneAwarenessEnabled: zoned }));
        const want = Math.min(rf, zoned ? Math.min(3, n) : n);
        if (want < Math.floor(rf / 2) + 1) {
          assert.throws(() => v.get(key, Write), TooFewHealthyInstancesError);
          return;
        }
        const set = v.get(key, Write);
        assert.equal(set.instances.length, want);
        assert.equal(new Set(set.instances.map((i) => i.id)).size, want);
        if (zoned) assert.equal(new Set(set.instances.map((i) => i.zone)).size, want);
        assert.equal(set.maxErrors, want - (Math.floor(Math.max(rf, want) / 2) + 1));
      }),
      { numRuns: 200 },
    );
  });

  it('follows the token order clockwise from the first token above the key', () => {
    const v = view([instance('a', [100, 400]), instance('b', [200]), instance('c', [300])]);
    const ids = (key: number) => v.get(key, Write).instances.map((i) => i.id);
    assert.deepEqual(ids(150), ['b', 'c', 'a']);
    assert.deepEqual(ids(300), ['a', 'b', 'c']); // 300 maps to the next token, 400
    assert.deepEqual(ids(4_000_000_000), ['a', 'b', 'c']); // wraps around
  });

  const cases: Record<string, { states: InstanceState[]; stale?: number[]; op: typeof Write; want: string[] | RegExp }> = {
    'all active': { states: [0, 0, 0, 0], op: Write, want: ['a', 'b', 'c'] },
    'a JOINING instance extends writes to the next one': { states: [0, InstanceState.JOINING, 0, 0], op: Write, want: ['a', 'c', 'd'] },
    'a LEAVING instance extends writes': { states: [0, InstanceState.LEAVING, 0, 0], op: Write, want: ['a', 'c', 'd'] },
    'a LEAVING instance is read from and does not extend reads': { states: [0, InstanceState.LEAVING, 0, 0], op: Read, want: ['a', 'b', 'c'] },
    'a JOINING instance extends reads but is not read from': { states: [0, InstanceState.JOINING, 0, 0], op: Read, want: ['a', 'c', 'd'] },
    'a stale heartbeat drops the instance without replacing it': { states: [0, 0, 0, 0], stale: [1], op: Write, want: ['a', 'c'] },
    'two stale of three is below quorum': {
      states: [0, 0, 0, 0],
      stale: [0, 1],
      op: Write,
      want: /at least 2 healthy replicas required, found 1; unhealthy instances: a, b/,
    },
    'reporting counts every state': { states: [InstanceState.PENDING, InstanceState.JOINING, 0, 0], op: Reporting, want: ['a', 'b', 'c'] },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const descs = ['a', 'b', 'c', 'd'].map((id, i) =>
        instance(id, [(i + 1) * 100], { state: c.states[i], timestamp: c.stale?.includes(i) ? 1_000_000 - 61 : 1_000_000 }),
      );
      const v = view(descs);
      if (c.want instanceof RegExp) assert.throws(() => v.get(50, c.op), c.want);
      else assert.deepEqual(v.get(50, c.op).instances.map((i) => i.id), c.want);
    });
  }

  it('judges health at the time it is given instead of reading the clock', () => {
    const descs = ['a', 'b', 'c'].map((id, i) => instance(id, [(i + 1) * 100], { timestamp: i === 0 ? 1_000_000 - 30 : 1_000_000 }));
    const v = view(descs);
    assert.deepEqual(v.get(50, Write).instances.map((i) => i.id), ['a', 'b', 'c']);
    // 40 s later 'a' (heartbeat 70 s old) is stale; 'b' and 'c' (40 s) are not.
    assert.deepEqual(v.get(50, Write, [], nowMs + 40_000).instances.map((i) => i.id), ['b', 'c']);
    assert.equal(v.now(), nowMs);
  });

  it('reuses the caller buffer', () => {
    const v = view(ring(5, 1));
    const buf: ReturnType<typeof instance>[] = [];
    assert.equal(v.get(1, Write, buf).instances, buf);
    assert.equal(buf.length, 3);
  });
});

describe('RingView.getReplicationSetForOperation', () => {
  const at = (ids: string[], stale: string[] = [], over: (id: string) => Partial<ReturnType<typeof instance>> = () => ({})) =>
    ids.map((id, i) => instance(id, [(i + 1) * 100], { timestamp: stale.includes(id) ? 1_000_000 - 61 : 1_000_000, ...over(id) }));

  it('tolerates ⌊RF/2⌋ failures of the whole ring: one of three with RF=3 (the querier asks all ingesters)', () => {
    const set = view(at(['a', 'b', 'c'])).getReplicationSetForOperation(Read);
    assert.deepEqual(set.instances.map((i) => i.id), ['a', 'b', 'c']);
    assert.equal(set.maxErrors, 1);
  });

  it('counts an unhealthy instance as the failure already spent', () => {
    const set = view(at(['a', 'b', 'c'], ['b'])).getReplicationSetForOperation(Read);
    assert.deepEqual(set.instances.map((i) => i.id), ['a', 'c']);
    assert.equal(set.maxErrors, 0);
    assert.throws(() => view(at(['a', 'b', 'c'], ['a', 'b'])).getReplicationSetForOperation(Read), /at least 2 healthy replicas required, found 1; unhealthy instances: a, b/);
  });

  it('reads from a PENDING joiner and still tolerates one failure among four', () => {
    const set = view(at(['a', 'b', 'c', 'd'], [], (id) => (id === 'd' ? { state: InstanceState.PENDING, tokens: [] } : {}))).getReplicationSetForOperation(Read);
    assert.equal(set.instances.length, 4);
    assert.equal(set.maxErrors, 1);
  });

  it('any failure pattern it tolerates leaves every key at least one answering replica (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.array(fc.nat({ max: 7 }), { maxLength: 4 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (n, rfWanted, seed, failing, key) => {
          const v = view(ring(n, seed, 16), cfg({ replicationFactor: Math.min(rfWanted, n) }));
          let set;
          try {
            set = v.getReplicationSetForOperation(Read);
          } catch (err) {
            assert.ok(err instanceof TooFewHealthyInstancesError);
            return;
          }
          const failed = new Set(failing.filter((i) => i < n).slice(0, set.maxErrors).map((i) => `i-${i}`));
          const replicas = v.get(key, Read).instances.filter((i) => !failed.has(i.id));
          assert.ok(replicas.length >= 1, `key ${key}: all replicas among the ${failed.size} tolerated failures`);
        }),
      { numRuns: 200 },
    );
  });

  it('with zones, leaves out the zones with an unhealthy instance and tolerates no more', () => {
    const zoned = (stale: string[]) => view(at(['a', 'b', 'c', 'd'], stale, (id) => ({ zone: id === 'd' ? 'z1' : `z${'abc'.indexOf(id) + 1}` })), cfg({ zoneAwarenessEnabled: true }));
    const set = zoned(['a']).getReplicationSetForOperation(Read);
    assert.deepEqual(set.instances.map((i) => i.id), ['b', 'c']);
    assert.equal(set.maxErrors, 0);
    assert.equal(zoned([]).getReplicationSetForOperation(Read).instances.length, 4);
    assert.throws(() => zoned(['a', 'b']).getReplicationSetForOperation(Read), TooFewHealthyInstancesError);
  });
});

describe('RingSnapshot', () => {
  it('ownership sums to 100% (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 64 }), fc.nat(), (n, tokens, seed) => {
        const own = new RingSnapshot(ring(n, seed, tokens)).ownership();
        const sum = own.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
      }),
      { numRuns: 100 },
    );
  });

  it('adding one instance to N moves about 1/(N+1) of the key space, all of it to the new instance (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), (n, seed) => {
        const before = view(ring(n, seed, 128), cfg({ replicationFactor: 1 }));
        const descs = ring(n + 1, seed, 128);
        const after = view(descs, cfg({ replicationFactor: 1 }));
        const newcomer = descs[n].id;
        const keys = seededTokens(seed + 7, 4000);
        let moved = 0;
        for (const k of keys) {
          const a = before.get(k, Write).instances[0].id;
          const b = after.get(k, Write).instances[0].id;
          if (a === b) continue;
          moved++;
          assert.equal(b, newcomer, 'a key moved between two old instances');
        }
        const frac = moved / keys.length;
        const expect = 1 / (n + 1);
        assert.ok(frac > expect * 0.5 && frac < expect * 1.6, `moved ${frac}, expected about ${expect}`);
      }),
      { numRuns: 30 },
    );
  });

  it('gives a contested token to the instance registered first, then to the smaller id', () => {
    const snap = new RingSnapshot([
      instance('young', [10, 20, 30], { registeredTimestamp: 2000 }),
      instance('old', [20, 40], { registeredTimestamp: 1000 }),
      instance('twin', [30], { registeredTimestamp: 2000 }),
    ]);
    const owner = (t: number) => snap.instances[snap.owners[snap.searchToken(t - 1)]].id;
    assert.deepEqual([...snap.tokens], [10, 20, 30, 40]);
    assert.equal(owner(20), 'old');
    assert.equal(owner(30), 'twin');
    assert.deepEqual(snap.lostTokens('young'), [20, 30]);
    assert.deepEqual(snap.lostTokens('old'), []);
    // While `old` hands its tokens to `young` (transfer), its older claim is no loss for `young`.
    assert.deepEqual(snap.lostTokens('young', new Set(['old'])), [30]);
    assert.deepEqual([...snap.tokensOwned()], [2, 1, 1]); // old, twin, young (sorted by id)
  });

  it('leaves LEFT instances out', () => {
    const snap = new RingSnapshot([instance('a', [1]), instance('b', [2], { state: InstanceState.LEFT })]);
    assert.deepEqual(snap.instances.map((i) => i.id), ['a']);
  });
});

describe('shuffleShard', () => {
  it('is stable across calls and views, and picks ceil(size/zones) per zone (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 15 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.string(), fc.boolean(), (n, size, seed, tenant, zoned) => {
        const zones = zoned ? 3 : 0;
        const c = cfg({ zoneAwarenessEnabled: zoned });
        const ids = (v: RingView) => v.shuffleShard(tenant, size).snapshot().instances.map((i) => i.id);
        const first = ids(view(ring(n, seed, 16, zones), c));
        assert.deepEqual(ids(view(ring(n, seed, 16, zones), c)), first);
        if (size >= n) {
          assert.equal(first.length, n);
          return;
        }
        const perZone = Math.ceil(size / (zoned ? 3 : 1));
        const byZone = new Map<string, number>();
        for (const id of first) {
          const z = zoned ? `z${Number(id.slice(2)) % 3}` : '';
          byZone.set(z, (byZone.get(z) ?? 0) + 1);
        }
        for (const count of byZone.values()) assert.ok(count <= perZone);
        assert.equal(first.length, Math.min(n, [...(zoned ? [0, 1, 2] : [0])].reduce((acc, z) => acc + Math.min(perZone, zoned ? Math.ceil((n - z) / 3) : n), 0)));
      }),
      { numRuns: 150 },
    );
  });

  it('gives different tenants different shards', () => {
    const v = view(ring(20, 3));
    const shards = new Set(['t1', 't2', 't3', 't4', 't5'].map((t) => v.shuffleShard(t, 3).snapshot().instances.map((i) => i.id).join()));
    assert.ok(shards.size > 1);
  });
});
