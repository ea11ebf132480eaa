// Faults in a real microservices cluster (integration/e2e/cluster.ts): an ingester killed under
// load, a rolling restart with transfer, flushed blocks answering after every ingester lost its
// disk, etcd going away and coming back, and the compactor replacing the replica blocks of a range
// with one block that answers alone. Every scenario writes a bounded load, remembers what
// the distributors acknowledged and checks, through both queriers, that none of it is lost; each
// leaves 3 ACTIVE ingesters for the next. One tenant per scenario keeps their data apart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { credentials } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { IngesterClient } from '../../pkg/generated/myelin/ingester.js';
import type { QueryResponse } from '../../pkg/generated/myelin/ingester.js';
import { LabelMatcher_Type } from '../../pkg/generated/prometheus/types.js';
import { tenantMetadata } from '../../pkg/tenant/index.js';
import { Cluster, remoteWriteBody, withLogsOnFailure } from '../e2e/cluster.js';
import type { MyelinProcess } from '../e2e/cluster.js';
import { waitUntil } from '../../pkg/testutil/index.js';

const SERIES = 20;
const STEP_MS = 1000;

let cluster: Cluster;

before(async () => {
  cluster = await Cluster.start();
});

after(async () => {
  await cluster?.stop();
});

/**
 * One writer: request n carries one sample per series, `value n` at `t0 + n × 1s` (timestamps
 * apart from the wall clock so a range query with a 1s step lands on every sample), sent in turn
 * to each running distributor, one request at a time. It stops at `max` requests or at stop().
 */
class Writer {
  readonly tenant: string;
  readonly metric: string;
  readonly t0: number;
  /** Request numbers the distributor answered 200. */
  readonly acked: number[] = [];
  readonly failures: { n: number; status: number; body: string }[] = [];
  sent = 0;
  #stop = false;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #parked: (() => void) | undefined;
  readonly done: Promise<void>;

  /** `t0`: the first sample's time; by default 30 minutes back, room for 1800 requests before the wall clock. */
  constructor(tenant: string, metric: string, max: number, gapMs = 3, t0 = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000) {
    this.tenant = tenant;
    this.metric = metric;
    this.t0 = t0;
    assert.ok(t0 + max * STEP_MS <= Date.now(), 'BUG: writer would write into the future');
    this.done = this.#run(max, gapMs);
  }

  ts(n: number): number {
    return this.t0 + n * STEP_MS;
  }

  async #run(max: number, gapMs: number): Promise<void> {
    for (let n = 0; n < max; n++) {
      if (this.#gate !== undefined) {
        this.#parked?.();
        await this.#gate;
      }
      if (this.#stop) return;
      const body = remoteWriteBody(Array.from({ length: SERIES }, (_, i) => ({ labels: { __name__: this.metric, s: String(i) }, samples: [[this.ts(n), n]] })));
      this.sent = n + 1;
      let status: number;
      let text = '';
      try {
        const res = await cluster.push(this.tenant, body);
        status = res.status;
        text = await res.text();
      } catch (err) {
        status = 0;
        text = String(err);
      }
      if (status === 200) this.acked.push(n);
      else this.failures.push({ n, status, body: text });
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  /** Waits until `k` more requests were acknowledged. */
  async progress(k: number): Promise<void> {
    const target = this.acked.length + k;
    await waitUntil(() => this.acked.length >= target, { what: `${k} more acknowledged writes of ${this.tenant}`, timeoutMs: 20_000 });
  }

  /** Holds the writer before its next request; resolves once no request of it is in flight. */
  async pause(): Promise<void> {
    const parked = new Promise<void>((resolve) => (this.#parked = resolve));
    this.#gate = new Promise<void>((resolve) => (this.#open = resolve));
    await Promise.race([parked, this.done]);
  }

  resume(): void {
    this.#gate = undefined;
    this.#parked = undefined;
    this.#open?.();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    this.resume();
    await this.done;
  }

  /** Asserts that every request so far was answered 200. */
  assertNoFailures(what: string): void {
    assert.deepEqual(this.failures.map((f) => `#${f.n}: ${f.status} ${f.body}`), [], `${this.tenant}: writes failed ${what}`);
  }
}

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

async function queryMatrix(q: MyelinProcess, tenant: string, path: string, params: Record<string, string>): Promise<Matrix> {
  const res = await cluster.query(tenant, path, params, q);
  const text = await res.text();
  assert.equal(res.status, 200, `${q.name} ${path} ${JSON.stringify(params)}: ${text}`);
  const body = JSON.parse(text) as { data: { resultType: string; result: Matrix } };
  assert.equal(body.data.resultType, 'matrix');
  return body.data.result;
}

/**
 * Asserts, through every querier, with an instant query of a range vector (the raw samples) and a
 * range query with a 1s step (one point per sample), that every series holds exactly the
 * acknowledged samples with their values, nothing twice. Callers first assert that no write
 * failed: a refused request may have reached some replicas.
 */
async function assertComplete(w: Writer): Promise<void> {
  const acked = new Set(w.acked);
  const last = w.sent - 1;
  const window = `${Math.ceil((last + 1) * STEP_MS / 1000) + 1}s`;
  for (const q of cluster.queriers) {
    const raw = await queryMatrix(q, w.tenant, '/api/v1/query', { query: `${w.metric}[${window}]`, time: String(w.ts(last) / 1000) });
    const ranged = await queryMatrix(q, w.tenant, '/api/v1/query_range', {
      query: w.metric, start: String(w.t0 / 1000), end: String(w.ts(last) / 1000), step: '1s',
    });
    for (const [kind, result] of [['instant', raw], ['range', ranged]] as const) {
      assert.equal(result.length, SERIES, `${q.name} ${kind}: series`);
      for (const s of result) {
        const seen = new Set<number>();
        for (const [t, v] of s.values) {
          const n = Math.round((t * 1000 - w.t0) / STEP_MS);
          if (kind === 'instant') {
            assert.equal(t * 1000, w.ts(n), `${q.name} ${kind} series ${s.metric.s}: a sample off the grid at ${t}`);
            assert.ok(!seen.has(n), `${q.name} ${kind} series ${s.metric.s}: sample ${n} twice`);
            assert.ok(n >= 0 && n <= last, `${q.name} ${kind} series ${s.metric.s}: a sample never sent at ${t}`);
            assert.equal(Number(v), n, `${q.name} ${kind} series ${s.metric.s}: value at ${t}`);
          } else if (acked.has(n)) {
            // Range points at the timestamp of a sample take that sample.
            assert.equal(Number(v), n, `${q.name} ${kind} series ${s.metric.s}: value at step ${n}`);
          }
          seen.add(n);
        }
        const missing = [...acked].filter((n) => !seen.has(n));
        assert.deepEqual(missing, [], `${q.name} ${kind} series ${s.metric.s}: acknowledged samples missing`);
        assert.equal(seen.size, acked.size, `${q.name} ${kind} series ${s.metric.s}: samples that were not acknowledged`);
      }
    }
  }
}

/** The sample values (request numbers) of each series of `metric` in one ingester, asked over gRPC. */
function ingesterSamples(ing: MyelinProcess, tenant: string, metricName: string): Promise<Map<string, Set<number>>> {
  const c = new IngesterClient(`127.0.0.1:${ing.grpc}`, credentials.createInsecure());
  return new Promise<Map<string, Set<number>>>((resolve, reject) => c.query(
    { startTimestampMs: 0, endTimestampMs: Date.now() + 3_600_000, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: metricName }], streamSamples: false, limits: undefined },
    tenantMetadata(tenant),
    (err: ServiceError | null, res?: QueryResponse) => {
      if (err) return reject(err);
      const out = new Map<string, Set<number>>();
      for (const ts of (res as QueryResponse).timeseries) {
        const s = ts.labels.find((l) => l.name === 's')?.value ?? '';
        out.set(s, new Set(ts.samples.map((x) => x.value)));
      }
      resolve(out);
    },
  )).finally(() => c.close());
}

/** The object names of the bucket under `prefix`, from the GCS emulator's JSON API. */
async function bucketObjects(prefix: string): Promise<string[]> {
  const res = await fetch(`${cluster.gcs.endpoint}/storage/v1/b/myelin-e2e/o?prefix=${encodeURIComponent(prefix)}&maxResults=100000`);
  assert.equal(res.status, 200);
  return (((await res.json()) as { items?: { name: string }[] }).items ?? []).map((i) => i.name);
}

test('an ingester killed with SIGKILL under load: writes and queries go on, its WAL brings it back', { timeout: 90_000 }, () => withLogsOnFailure(cluster, async () => {
  const victim = cluster.ingesters[0];
  const seen = async (): Promise<number> =>
    await victim.metric('myelin_ingester_ingested_samples_total') + await victim.metric('myelin_ingester_ingested_samples_failures_total');
  const seenBefore = await seen();
  // What the victim answered as refused to the distributors (at append, or at commit when a
  // concurrent push of the same series had committed a newer sample).
  const refusedBefore = await victim.metric('myelin_ingester_ingested_samples_failures_total');
  const w = new Writer('kill', 'fault_kill', 1500);
  await w.progress(100);
  // What the victim itself holds: with RF=3 on three ingesters every request reaches it, so once
  // the writer is paused and the victim has answered every request, its head is settled. The
  // distributors answer at quorum, so a lagging replica may miss a sample the others took (it sees
  // request n after n+1 from the other distributor), but only by refusing it, never after
  // acknowledging it; and what it holds, its WAL must bring back.
  await w.pause();
  await waitUntil(async () => await seen() - seenBefore === w.sent * SERIES, { what: 'the victim answered every request', timeoutMs: 10_000 });
  const held = await ingesterSamples(victim, 'kill', 'fault_kill');
  assert.equal(held.size, SERIES);
  const refused = await victim.metric('myelin_ingester_ingested_samples_failures_total') - refusedBefore;
  const ackedAtPause = [...w.acked];
  let missingAtPause = 0;
  for (let i = 0; i < SERIES; i++) missingAtPause += ackedAtPause.filter((n) => !(held.get(String(i))?.has(n) ?? false)).length;
  assert.ok(missingAtPause <= refused, `the victim lacks ${missingAtPause} acknowledged samples but refused only ${refused}`);
  w.resume();
  await w.progress(50);
  const sentBeforeKill = w.sent;
  await victim.stop('SIGKILL');
  await w.progress(150);
  await w.stop();
  // Quorum 2 of 3: losing one replica never fails a write, though the distributors kept trying it.
  w.assertNoFailures('while one of three ingesters was down');
  let triedVictim = 0;
  for (const d of cluster.distributors) triedVictim += await d.metric('myelin_distributor_ingester_append_failures_total', { ingester: `127.0.0.1:${victim.grpc}` });
  assert.ok(triedVictim > 0, 'the distributors sent to the dead ingester and got failures');
  assert.ok(w.sent - sentBeforeKill >= 150, 'writes went on after the kill');
  await assertComplete(w);

  await victim.start();
  await cluster.waitIngesterRing(3);
  assert.ok(await victim.metric('myelin_tsdb_head_series') >= SERIES, 'the replayed head holds the series');
  const got = await ingesterSamples(victim, 'kill', 'fault_kill');
  assert.equal(got.size, SERIES, 'series replayed from the WAL');
  for (const [s, values] of got) {
    const lost = [...(held.get(s) ?? [])].filter((n) => !values.has(n));
    assert.deepEqual(lost, [], `series ${s}: acknowledged by the victim, missing after its WAL replay`);
    assert.ok([...values].every((n) => n < sentBeforeKill), `series ${s}: a sample written while it was down`);
  }
  // And the cluster takes writes and answers with it back.
  const w2 = new Writer('kill', 'fault_kill_after', 50);
  await w2.done;
  w2.assertNoFailures('after the restart');
  await assertComplete(w2);
}));

test('rolling restart of the three ingesters with transfer: nothing acknowledged is lost, nothing flushed', { timeout: 120_000 }, () => withLogsOnFailure(cluster, async () => {
  const w = new Writer('rolling', 'fault_rolling', 1800);
  await w.progress(50);
  for (let k = 0; k < 3; k++) {
    const old = cluster.ingesters[k];
    const next = await cluster.newProcess('ingester', `ingester-${k + 1}-r`, ['-ingester.join-after=60s']);
    // /ready is ACTIVE only; a PENDING joiner is waited for in the ring instead.
    const starting = next.start();
    await waitUntil(async () => (await old.ring('/ingester/ring')).some((i) => i.id === next.name && i.state === 'PENDING'),
      { what: `${next.name} PENDING in ${old.name}'s ring`, timeoutMs: 20_000, intervalMs: 100 });
    await old.stop('SIGTERM');
    assert.equal(old.exitCode, 0, `${old.name} exit code`);
    await starting;
    cluster.ingesters[k] = next;
    assert.equal(await next.metric('myelin_ingester_transfers_total', { direction: 'received', outcome: 'success' }), 1, `${next.name} received a transfer`);
    assert.ok(await next.metric('myelin_ingester_transferred_series_total', { direction: 'received' }) >= SERIES, `${next.name} received the series`);
    await cluster.waitIngesterRing(3);
    await w.progress(30);
  }
  await w.stop();
  // A LEAVING ingester refuses writes; the two others make the quorum.
  w.assertNoFailures('during the rolling restart');
  await assertComplete(w);
  assert.deepEqual(await bucketObjects('rolling/'), [], 'transfers, no flush: no block of the tenant in the bucket');
}));

test('flushed blocks answer, exactly, after every ingester lost its disk', { timeout: 120_000 }, () => withLogsOnFailure(cluster, async () => {
  const w = new Writer('flush', 'fault_flush', 300);
  await w.done;
  w.assertNoFailures('to a whole cluster');
  for (const ing of cluster.ingesters) {
    const res = await fetch(ing.url('/ingester/flush?wait=true'), { method: 'POST' });
    assert.equal(res.status, 204, `${ing.name} /ingester/flush`);
  }
  // RF=3: each ingester shipped its own copy of the tenant's data (one block per 2h range it
  // spans: two when the writes crossed a range boundary).
  const blocks = (await bucketObjects('flush/')).filter((n) => n.endsWith('/meta.json')).map((n) => n.split('/')[1]);
  const byRange = new Map<number, number>();
  for (const b of blocks) {
    const meta = (await (await fetch(`${cluster.gcs.endpoint}/storage/v1/b/myelin-e2e/o/${encodeURIComponent(`flush/${b}/meta.json`)}?alt=media`)).json()) as { minTime: number };
    const range = Math.floor(meta.minTime / (2 * 3_600_000));
    byRange.set(range, (byRange.get(range) ?? 0) + 1);
  }
  assert.ok(blocks.length > 0 && [...byRange.values()].every((n) => n === 3), `three copies of each range: ${JSON.stringify([...byRange])}`);
  // The compactor lists them in the bucket index, then the store-gateways (RF 3 of 2: both) load them.
  await waitUntil(async () => {
    const res = await fetch(`${cluster.gcs.endpoint}/storage/v1/b/myelin-e2e/o/${encodeURIComponent('flush/bucket-index.json.gz')}?alt=media`);
    if (res.status !== 200) return false;
    const idx = JSON.parse(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()) as { blocks: { block_id: string }[] };
    return blocks.every((b) => idx.blocks.some((x) => x.block_id === b));
  }, { what: 'the flushed blocks in the bucket index', timeoutMs: 20_000, intervalMs: 200 });
  const allBlocks = (await bucketObjects('')).filter((n) => n.endsWith('/meta.json')).length;
  await waitUntil(async () => {
    for (const sg of cluster.storeGateways) if (await sg.metric('myelin_bucket_store_blocks_loaded') < allBlocks) return false;
    return true;
  }, { what: `every store-gateway holding the ${allBlocks} blocks`, timeoutMs: 20_000, intervalMs: 200 });

  // Every ingester dies and loses its disk (WAL, local blocks, tokens file): only the bucket has the data.
  await Promise.all(cluster.ingesters.map((ing) => ing.stop('SIGKILL')));
  await Promise.all(cluster.ingesters.map((ing) => rm(ing.dataDir, { recursive: true, force: true })));
  await Promise.all(cluster.ingesters.map((ing) => ing.start()));
  await cluster.waitIngesterRing(3);
  for (const ing of cluster.ingesters) assert.equal((await ingesterSamples(ing, 'flush', 'fault_flush')).size, 0, `${ing.name} starts empty`);
  // The queriers' connections to the dead ingesters are in gRPC's reconnect backoff: they reach the
  // restarted ones within -ingester.client.connect-backoff-max-delay (5s), answering 422 until then.
  await waitUntil(async () => {
    for (const q of cluster.queriers) if ((await cluster.query('flush', '/api/v1/query', { query: 'fault_flush' }, q)).status !== 200) return false;
    return true;
  }, { what: 'every querier reaching the restarted ingesters', timeoutMs: 15_000, intervalMs: 250 });
  // Three copies of every sample in three blocks, each answered once.
  await assertComplete(w);
}));

/** Each running ingester as `viewer` sees it on its ring page: id → last heartbeat (seconds) when ACTIVE and healthy. */
async function activeHeartbeats(viewer: MyelinProcess): Promise<Map<string, number>> {
  const res = await viewer.get('/ingester/ring', { accept: 'application/json' });
  const page = (await res.json()) as { instances: { id: string; state: string; healthy: boolean; heartbeat_timestamp: number }[] };
  return new Map(page.instances.filter((i) => i.state === 'ACTIVE' && i.healthy).map((i) => [i.id, i.heartbeat_timestamp]));
}

test('etcd stopped and restarted: writes and queries go on, the ring converges again', { timeout: 90_000 }, () => withLogsOnFailure(cluster, async () => {
  const w = new Writer('etcd', 'fault_etcd', 1500);
  await w.progress(50);
  await cluster.etcd.stop();
  const stoppedAt = Date.now();
  const sentAtStop = w.sent;
  // The distributors route on their last ring view; the ingesters' heartbeats (every 1s) fail and
  // are retried. Several heartbeat periods and at least 200 requests pass without etcd.
  const target = w.acked.length + 200;
  // A request in flight at the stop counts as sent before it: wait for 200 sent after it too.
  await waitUntil(() => w.acked.length >= target && w.sent - sentAtStop >= 200 && Date.now() - stoppedAt >= 4000, { what: 'writes without etcd', timeoutMs: 30_000, intervalMs: 50 });
  w.assertNoFailures('while etcd was down');
  assert.ok(w.sent - sentAtStop >= 200);
  for (const p of cluster.all()) assert.ok(p.running, `${p.name} survived etcd going away`);
  // The distributors' views are frozen at the outage, yet within the heartbeat timeout: healthy.
  const stoppedSec = Math.floor(stoppedAt / 1000);
  for (const d of cluster.distributors) {
    const beats = await activeHeartbeats(d);
    assert.equal(beats.size, 3, `${d.name} still routes to 3 ingesters`);
    assert.ok([...beats.values()].every((t) => t <= stoppedSec + 1), `${d.name} saw a heartbeat while etcd was down`);
  }
  // Queries need no etcd either.
  await w.pause();
  await assertComplete(w);
  w.resume();

  const restartedSec = Math.floor(Date.now() / 1000);
  await cluster.etcd.restart();
  await cluster.waitIngesterRing(3);
  // Converged: every process sees every ingester heartbeat after etcd came back.
  const ids = cluster.ingesters.map((i) => i.name).sort();
  await waitUntil(async () => {
    for (const p of [...cluster.distributors, ...cluster.queriers, ...cluster.ingesters]) {
      const beats = await activeHeartbeats(p);
      if (![...beats.keys()].sort().every((id, k) => id === ids[k]) || beats.size !== 3) return false;
      if ([...beats.values()].some((t) => t < restartedSec)) return false;
    }
    return true;
  }, { what: 'fresh heartbeats of the 3 ingesters in every ring view', timeoutMs: 20_000, intervalMs: 200 });
  await w.progress(100);
  await w.stop();
  w.assertNoFailures('after etcd came back');
  await assertComplete(w);
}));

test('the compactor merges the replica blocks of an old range into one, and it alone answers exactly', { timeout: 120_000 }, () => withLogsOnFailure(cluster, async () => {
  // 16h back: older than the queriers' -querier.query-ingesters-within (13h), so only blocks answer,
  // and in a 2h range that ended long before the compactor's wait for late shipments.
  const HOUR = 3_600_000;
  const t0 = Math.floor((Date.now() - 16 * HOUR) / (2 * HOUR)) * 2 * HOUR + 60_000;
  const w = new Writer('compact', 'fault_compact', 120, 3, t0);
  await w.done;
  w.assertNoFailures('of an old range');
  for (const ing of cluster.ingesters) assert.equal((await fetch(ing.url('/ingester/flush?wait=true'), { method: 'POST' })).status, 204);
  const metas = async () => (await bucketObjects('compact/')).filter((n) => /^compact\/[0-9A-Z]{26}\/meta\.json$/.test(n)).map((n) => n.split('/')[1]);
  const replicas = await metas();
  assert.equal(replicas.length, 3, 'one block per ingester');
  // The compactor (its interval shortened for the test) merges them and marks the three for deletion.
  const compactor = cluster.compactors[0];
  await compactor.stop();
  await compactor.start(['-compactor.compaction-interval=1s', '-compactor.cleanup-interval=1s']);
  await waitUntil(async () => {
    const marks = (await bucketObjects('compact/markers/')).filter((n) => n.endsWith('-deletion-mark.json'));
    return replicas.every((b) => marks.some((m) => m.includes(b))) && (await metas()).length > 3;
  }, { what: 'a compacted block and the three replicas marked', timeoutMs: 60_000, intervalMs: 250 });
  const merged = (await metas()).filter((b) => !replicas.includes(b));
  assert.ok(await compactor.metric('myelin_compactor_blocks_marked_for_deletion_total') >= 3);

  // Readers that drop marked blocks at once: only the compacted block can answer now.
  const readers = [...cluster.storeGateways, ...cluster.queriers];
  await Promise.all(readers.map((p) => p.stop()));
  await Promise.all(readers.map((p) => p.start(['-blocks-storage.bucket-store.ignore-deletion-marks-delay=0s'])));
  await cluster.waitStoreGatewayRing(2);
  for (const sg of cluster.storeGateways) {
    const held = await sg.metric('myelin_bucket_store_blocks_loaded');
    assert.ok(held >= 1, `${sg.name} holds the compacted block (${merged.join(', ')})`);
  }
  await assertComplete(w);
}));
