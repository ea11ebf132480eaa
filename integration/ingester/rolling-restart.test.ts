// A rolling restart of 3 ingesters (RF=3) while a bounded load writes through the distributor:
// with transfer, every acknowledged sample is queryable from the new ingesters afterwards; without
// it, every acknowledged sample is in the new ingesters or in the blocks the old ones flushed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger as distLogger, startDistributor } from '../../pkg/distributor/testing.js';
import { defaults } from '../../pkg/flagext/index.js';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { IngesterConn, ingesterClientConfig } from '../../pkg/ingester/client/index.js';
import { startTestIngester } from '../../pkg/ingester/testing.js';
import type { TestIngester } from '../../pkg/ingester/testing.js';
import { MemoryClient, MemoryStore } from '../../pkg/kv/index.js';
import { Matcher, MatchType } from '../../pkg/model/labels/index.js';
import { IngestersQueryable } from '../../pkg/querier/index.js';
import { InstanceState, Ring, instanceDescCodec, ringConfig } from '../../pkg/ring/index.js';
import type { Queryable } from '../../pkg/storage/index.js';
import { ValueType } from '../../pkg/storage/index.js';
import { Block } from '../../pkg/tsdb/block/index.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { waitUntil } from '../../pkg/testutil/index.js';

const SERIES = 20;
const all = new Matcher(MatchType.Regexp, '__name__', '.*');

/** `series index → timestamps` present in a queryable. */
async function stored(q: Queryable): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  const querier = await q.querier(0, Date.now() + 3_600_000);
  const ss = querier.select({ start: 0, end: Date.now() + 3_600_000, step: 0, func: '', range: 0, sortSeries: true }, all);
  while (await ss.next()) {
    const s = ss.at();
    const set = out.get(s.labels.get('s')) ?? new Set<number>();
    const it = s.iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) set.add(it.atT());
    out.set(s.labels.get('s'), set);
  }
  if (ss.err() !== undefined) throw ss.err();
  await querier.close();
  return out;
}

async function rollingRestart(transfer: boolean): Promise<void> {
  const kv = new MemoryStore();
  const bucketDir = mkdtempSync(join(tmpdir(), 'rolling-'));
  const ring = new Ring({ ...defaults(ringConfig('')), replicationFactor: 3 }, 'ingester', 'ingester',
    { kv: new MemoryClient(kv, instanceDescCodec, 'collectors/'), logger: distLogger, registry: new Registry() });
  ring.service.startAsync();
  await ring.service.awaitRunning();
  // Each old ingester leaves for good (a new one with its own disk replaces it): without a
  // transfer, its head must reach the bucket on shutdown.
  const tsdb = { flushBlocksOnShutdown: true };
  const ingesters: TestIngester[] = [];
  for (const id of ['a', 'b', 'c']) ingesters.push(await startTestIngester({ id: `ing-${id}`, kv, bucketDir, rf: 3, transfer, tsdb }));
  await waitUntil(() => ring.snapshot().instances.filter((i) => i.state === InstanceState.ACTIVE).length === 3, { what: '3 ACTIVE ingesters' });
  const dist = await startDistributor({ ring });

  // Bounded load: one sample per series per request, acknowledged ones remembered.
  const acked: number[] = [];
  let stop = false;
  let t = Date.now() - 600_000;
  const load = (async () => {
    for (let n = 0; n < 5000 && !stop; n++) {
      const ts = t++;
      const body = WriteRequest.encode({
        timeseries: Array.from({ length: SERIES }, (_, i) => ({ labels: [{ name: '__name__', value: 'load' }, { name: 's', value: String(i) }], samples: [{ timestamp: ts, value: n }], exemplars: [], histograms: [] })),
        metadata: [],
      }).finish();
      const answer = await dist.distributor.push('team-a', snappyEncode(Buffer.from(body)));
      if (answer.status === 200) acked.push(ts);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();

  for (let k = 0; k < 3; k++) {
    const before = acked.length;
    await waitUntil(() => acked.length >= before + 20, { what: 'writes going on' });
    const old = ingesters[k];
    const next = await startTestIngester({ id: `ing-${k}-new`, kv, bucketDir, rf: 3, transfer, tsdb, joinAfter: transfer ? 60_000 : 0 });
    await waitUntil(() => old.ing.lifecycler.ring.snapshot().instances.some((i) => i.id === `ing-${k}-new`), { what: 'the new ingester in the ring' });
    await old.stop();
    ingesters[k] = next;
    if (transfer) assert.equal(next.ing.lifecycler.state(), InstanceState.ACTIVE, 'the new ingester took over by transfer');
    await waitUntil(() => ring.snapshot().instances.filter((i) => i.state === InstanceState.ACTIVE).length === 3, { what: '3 ACTIVE ingesters again' });
  }
  const before = acked.length;
  await waitUntil(() => acked.length >= before + 20, { what: 'writes after the restart' });
  stop = true;
  await load;

  const conns = new Map<string, IngesterConn>();
  const got = await stored(new IngestersQueryable('team-a', {
    ring, timeout: 10_000,
    client: (addr) => conns.get(addr) ?? conns.set(addr, new IngesterConn(defaults(ingesterClientConfig), addr)).get(addr) as IngesterConn,
  }));
  if (!transfer) {
    // Flushed blocks of the old ingesters hold what they had.
    const dir = join(bucketDir, 'team-a');
    for (const b of readdirSync(dir)) {
      const block = await Block.open(join(dir, b));
      for (const [s, ts] of await stored(block)) for (const x of ts) (got.get(s) ?? got.set(s, new Set()).get(s) as Set<number>).add(x);
      await block.close();
    }
    assert.ok(readdirSync(dir).length >= 3, 'every old ingester flushed');
  } else {
    assert.equal(readdirSync(bucketDir).length, 0, 'transfers, no flushes');
  }
  assert.ok(acked.length > 60);
  for (let i = 0; i < SERIES; i++) {
    const have = got.get(String(i)) ?? new Set<number>();
    const lost = acked.filter((ts) => !have.has(ts));
    assert.deepEqual(lost, [], `series ${i}: acknowledged samples lost`);
  }
  for (const c of conns.values()) c.close();
  await dist.close();
  for (const ti of ingesters) await ti.stop();
  ring.service.stopAsync();
  await ring.service.awaitTerminated();
  rmSync(bucketDir, { recursive: true, force: true });
}

test('rolling restart of 3 ingesters (RF=3) with transfer: nothing acknowledged is lost', () => rollingRestart(true));
test('rolling restart of 3 ingesters (RF=3) without transfer: flushed blocks hold the rest', () => rollingRestart(false));
