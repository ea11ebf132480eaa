// A real Prometheus remote-writes into the distributor under its tenant. The ingester here is the
// test's gRPC stand-in (pkg/distributor/testing.ts), so the test checks what reaches the ingesters:
// Prometheus' series and metadata, under that tenant only, with nothing rejected.
// prometheus-to-myelin.test.ts does the same against the myelin binary and queries the data back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeIngester, metricValue, ringOver, startDistributor } from '../../pkg/distributor/testing.js';
import { waitUntil } from '../../pkg/testutil/index.js';
import { RemoteWritingPrometheus } from './remote-writing-prometheus.js';

test('Prometheus remote-writes into the distributor under its tenant', async (t) => {
  const ing = await FakeIngester.start();
  t.after(() => ing.stop());
  const h = await startDistributor({ ring: ringOver([ing], 1) });
  t.after(() => h.close());
  const prom = await RemoteWritingPrometheus.start(`${h.url}/api/v1/push`, 'team-a');
  t.after(() => prom.stop());
  await waitUntil(
    () => {
      if (!prom.proc.running) throw new Error(`prometheus exited: ${prom.proc.output}`);
      const names = new Set(ing.series().map((s) => /__name__=([^,]*)/.exec(s)?.[1]));
      return names.has('up') && names.has('prometheus_tsdb_head_series') && ing.received.some((r) => r.req.metadata.length > 0);
    },
    { timeoutMs: 60_000, what: 'series and metadata from prometheus' },
  ).catch((err: unknown) => {
    throw new Error(`ingester got ${ing.received.length} requests; prometheus output:\n${prom.proc.output}`, { cause: err });
  });
  assert.deepEqual([...new Set(ing.received.map((r) => r.tenant))], ['team-a']);
  const up = ing.received.flatMap((r) => r.req.timeseries).find((s) => s.labels.some((l) => l.name === '__name__' && l.value === 'up'));
  assert.deepEqual(up?.labels.map((l) => l.name), ['__name__', 'instance', 'job']);
  assert.equal(up?.samples[0].value, 1);
  // The ingester sees a push before the distributor counts it (after the quorum answered).
  await waitUntil(async () => (await metricValue(h.registry, 'myelin_distributor_received_samples_total', { user: 'team-a' })) > 0,
    { what: 'received samples counted' });
  const discarded = (await h.registry.getSingleMetric('myelin_discarded_samples_total')?.get())?.values ?? [];
  assert.deepEqual(discarded, [], 'nothing Prometheus sends is rejected');
});
