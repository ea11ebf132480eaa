// The ingester as a real `myelin -target=ingester` process: acknowledged samples survive SIGKILL
// (WAL replay), and /ingester/shutdown flushes to the bucket, leaves the ring and exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { IngesterClient } from '../../pkg/generated/myelin/ingester.js';
import type { QueryResponse } from '../../pkg/generated/myelin/ingester.js';
import { LabelMatcher_Type } from '../../pkg/generated/prometheus/types.js';
import { tenantMetadata } from '../../pkg/tenant/index.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

async function startIngester(dir: string, http: number, grpc: number): Promise<TestProcess> {
  const p = startMyelinBinary(['-target=ingester', '-auth.enabled=true',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    '-ingester.lifecycler.ID=ing-1', '-distributor.replication-factor=1', '-ingester.max-transfer-retries=0',
    '-blocks-storage.tsdb.flush-blocks-on-shutdown=false', '-blocks-storage.tsdb.ship-interval=0'], { name: 'ingester' });
  try {
    // A loaded machine may take a while to start a process: wait long, and never leave it behind.
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { timeoutMs: 60_000, what: `ingester ready\n${p.output}` });
  } catch (err) {
    await p.stop('SIGKILL');
    throw err;
  }
  return p;
}

function push(c: IngesterClient, batch: number, series: number): Promise<void> {
  const timeseries = Array.from({ length: series }, (_, i) => ({
    labels: [{ name: '__name__', value: 'crash_test' }, { name: 'series', value: String(i) }],
    samples: [{ timestamp: 1_700_000_000_000 + batch * 1000, value: batch }],
    exemplars: [],
    histograms: [],
  }));
  return new Promise((resolve, reject) =>
    c.push({ timeseries, metadata: [] }, tenantMetadata('crash'), (err: ServiceError | null) => (err ? reject(err) : resolve())));
}

function countSamples(c: IngesterClient): Promise<Map<string, number[]>> {
  return new Promise((resolve, reject) => c.query({ startTimestampMs: 0, endTimestampMs: 2e12, matchers: [{ type: LabelMatcher_Type.EQ, name: '__name__', value: 'crash_test' }], streamSamples: false, limits: undefined },
    tenantMetadata('crash'), (err: ServiceError | null, res?: QueryResponse) => {
      if (err) return reject(err);
      resolve(new Map((res as QueryResponse).timeseries.map((ts) => [ts.labels[1].value, ts.samples.map((s) => s.value)])));
    }));
}

test('every acknowledged sample survives SIGKILL of the ingester process (bounded rounds)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ingester-crash-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const acked: number[] = [];
  let batch = 0;
  const series = 20;
  for (let round = 0; round < 3; round++) {
    const p = await startIngester(dir, http, grpc);
    const c = new IngesterClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
    const got = await countSamples(c);
    for (let i = 0; i < series && acked.length > 0; i++) {
      const values = got.get(String(i)) ?? [];
      for (const b of acked) assert.ok(values.includes(b), `round ${round}: acked batch ${b} of series ${i} lost`);
    }
    // Push in the background and kill the process at a random moment while pushes are in flight.
    let stop = false;
    const pusher = (async () => {
      while (!stop) {
        const b = batch++;
        try {
          await push(c, b, series);
          acked.push(b);
        } catch {
          return;
        }
      }
    })();
    await waitUntil(() => acked.length >= (round + 1) * 5, { what: 'some acknowledged pushes' });
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
    await p.stop('SIGKILL');
    stop = true;
    await pusher;
    c.close();
  }
  const p = await startIngester(dir, http, grpc);
  t.after(() => p.stop('SIGKILL'));
  // After the process stopped (after hooks run in the order registered): it may still write there.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = new IngesterClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
  t.after(() => c.close());
  const got = await countSamples(c);
  for (let i = 0; i < series; i++) for (const b of acked) assert.ok((got.get(String(i)) ?? []).includes(b), `acked batch ${b} of series ${i} lost`);
  assert.ok(acked.length >= 15);
});

test('/ingester/shutdown flushes to the bucket, unregisters and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ingester-shutdown-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const p = await startIngester(dir, http, grpc);
  t.after(() => p.stop('SIGKILL'));
  // After the process stopped (after hooks run in the order registered): it may still write there.
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = new IngesterClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
  t.after(() => c.close());
  await push(c, 1, 3);
  const res = await fetch(`http://127.0.0.1:${http}/ingester/shutdown`, { method: 'POST' });
  assert.equal(res.status, 204);
  await waitUntil(() => !p.running, { what: 'process exit' });
  assert.equal(p.child.exitCode, 0, p.output);
  assert.equal(readdirSync(join(dir, 'blocks', 'crash')).length, 1, 'one block shipped');
  assert.match(p.output, /unregistered from the ring/);
});
