// A real Prometheus remote-writes into the myelin binary (-target=all, RF=1) under tenant team-a;
// its series are then found through Myelin's Prometheus API for team-a, and not for team-b.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RemoteWritingPrometheus } from './remote-writing-prometheus.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

interface QueryResult {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

test('Prometheus remote-writes into Myelin; its series are queried back for its tenant only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-rw-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const myelin = startMyelinBinary(['-target=all', '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`, '-server.grpc-listen-address=127.0.0.1',
    `-server.grpc-listen-port=${grpc}`, '-distributor.replication-factor=1', `-blocks-storage.tsdb.dir=${dir}/tsdb`,
    `-blocks-storage.filesystem.dir=${dir}/blocks`, '-log.level=warn',
  ]);
  let prom: RemoteWritingPrometheus | undefined;
  try {
    const base = `http://127.0.0.1:${http}`;
    await waitUntil(async () => {
      if (!myelin.running) throw new Error(`myelin exited: ${myelin.output}`);
      return (await fetch(`${base}/ready`)).ok;
    }, { timeoutMs: 60_000, what: 'myelin ready' });
    const writer = (prom = await RemoteWritingPrometheus.start(`${base}/api/v1/push`, 'team-a'));
    const query = async (tenant: string): Promise<QueryResult> => {
      const res = await fetch(`${base}/prometheus/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`, { headers: { 'x-scope-orgid': tenant } });
      return (await res.json()) as QueryResult;
    };
    let got: QueryResult | undefined;
    await waitUntil(async () => {
      if (!writer.proc.running) throw new Error(`prometheus exited: ${writer.proc.output}`);
      got = await query('team-a');
      return got.data.result.length > 0;
    }, { timeoutMs: 60_000, what: 'up{job="prometheus"} for team-a' }).catch((err: unknown) => {
      throw new Error(`last answer ${JSON.stringify(got)}; prometheus: ${writer.proc.output}; myelin: ${myelin.output}`, { cause: err });
    });
    assert.equal(got?.status, 'success');
    assert.deepEqual(got?.data.result.map((r) => [r.metric.job, r.metric.instance, r.value[1]]), [['prometheus', writer.instance, '1']]);
    const other = await query('team-b');
    assert.deepEqual([other.status, other.data.result], ['success', []]);
  } finally {
    // The writer goes first: its open connections would keep Myelin's HTTP server from closing.
    await prom?.stop();
    await myelin.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
