// A real Prometheus (Debian package, 2.42) scrapes itself and remote-writes into the distributor
// with X-Scope-OrgID set in remote_write.headers. Debian's 2.42.0+ds-5 build does not send
// remote_write.headers (checked with a capturing server: no X-Scope-OrgID, no other configured
// header), so the write goes through a small proxy that sets the header, as the authenticating
// gateway in front of a multi-tenant Cortex does; the header setting stays in the config for builds
// that honour it. The ingester here is the test's gRPC stand-in
// (pkg/distributor/testing.ts), so the test checks what reaches the ingesters: Prometheus' series
// and metadata, under that tenant only, with nothing rejected. Querying them back through Myelin's
// API needs the ingester and querier wired into the binary (integration/myelin-binary.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeIngester, metricValue, ringOver, startDistributor } from '../../pkg/distributor/testing.js';
import { freePort, TestProcess, waitUntil } from '../e2e/process.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

test('Prometheus remote-writes into the distributor under its tenant', async (t) => {
  const ing = await FakeIngester.start();
  t.after(() => ing.stop());
  const h = await startDistributor({ ring: ringOver([ing], 1) });
  t.after(() => h.close());
  const gateway = await tenantGateway(h.url, 'team-a');
  t.after(() => new Promise<void>((resolve) => gateway.close(() => resolve())));
  const gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'myelin-prom-rw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: prometheus, static_configs: [{ targets: ["127.0.0.1:${port}"] }] }`,
      'remote_write:',
      `  - url: ${gatewayUrl}/api/v1/push`,
      '    headers: { X-Scope-OrgID: team-a }',
      '    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms }',
      '    metadata_config: { send_interval: 1s }',
      '',
    ].join('\n'),
  );
  const prom = new TestProcess('prometheus', PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ]);
  t.after(() => prom.stop());
  await waitUntil(
    () => {
      if (!prom.running) throw new Error(`prometheus exited: ${prom.output}`);
      const names = new Set(ing.series().map((s) => /__name__=([^,]*)/.exec(s)?.[1]));
      return names.has('up') && names.has('prometheus_tsdb_head_series') && ing.received.some((r) => r.req.metadata.length > 0);
    },
    { timeoutMs: 60_000, what: 'series and metadata from prometheus' },
  ).catch((err: unknown) => {
    throw new Error(`ingester got ${ing.received.length} requests; prometheus output:\n${prom.output}`, { cause: err });
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

/** An HTTP proxy to `target` that sets X-Scope-OrgID on every request. */
async function tenantGateway(target: string, tenant: string): Promise<HttpServer> {
  const to = new URL(target);
  const srv = createServer((req, res) => {
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, 'x-scope-orgid': tenant } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}
