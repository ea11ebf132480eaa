// Exemplars end to end against the myelin binary (-target=all, RF=1): remote write in, a bad
// exemplar refused without costing its series, /prometheus/api/v1/query_exemplars out, and the
// exemplars still there after a SIGKILL restart (WAL replay). Then a real Prometheus 2.42 scrapes
// an exporter of OpenMetrics exemplars and remote-writes them (send_exemplars): Prometheus and
// Myelin answer query_exemplars the same.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WriteRequest } from '../../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../../pkg/wire/index.js';
import { freePort, type TestProcess, waitUntil } from '../../pkg/testutil/index.js';
import { startSingleMyelin } from '../e2e/myelin.js';
import { RemoteWritingPrometheus } from './remote-writing-prometheus.js';


interface ExemplarsAnswer {
  status: string;
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}

async function startMyelin(dir: string, http: number, grpc: number): Promise<TestProcess> {
  return (await startSingleMyelin(dir, ['-ingester.max-global-exemplars-per-user=1000'], { http, grpc })).proc;
}

async function queryExemplars(base: string, tenant: string | undefined, query: string, start: number, end: number): Promise<ExemplarsAnswer> {
  const res = await fetch(`${base}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${start / 1000}&end=${end / 1000}`, {
    headers: tenant === undefined ? {} : { 'x-scope-orgid': tenant },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as ExemplarsAnswer;
}

test('myelin binary: exemplars pushed, a bad one refused 400 alone, queried back, kept across SIGKILL', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-exemplars-'));
  const [http, grpc] = [await freePort(), await freePort()];
  let p: TestProcess | undefined;
  t.after(async () => {
    await p?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  p = await startMyelin(dir, http, grpc);
  const now = Math.floor(Date.now() / 1000) * 1000;
  const labels = [{ name: '__name__', value: 'http_requests_total' }, { name: 'job', value: 'api' }];
  const body = WriteRequest.encode({
    timeseries: [
      { labels, samples: [{ timestamp: now, value: 1 }], exemplars: [], histograms: [] },
      // As Prometheus sends them: exemplars in series entries of their own.
      { labels, samples: [], histograms: [], exemplars: [
        { labels: [{ name: 'trace_id', value: 'aaa' }], value: 0.25, timestamp: now },
        { labels: [{ name: 'trace_id', value: 'x'.repeat(200) }], value: 1, timestamp: now + 500 },
        { labels: [{ name: 'trace_id', value: 'bbb' }], value: 0.5, timestamp: now + 1000 },
      ] },
    ],
    metadata: [],
  }).finish();
  const res = await fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': 'team-a' },
    body: snappyEncode(Buffer.from(body)),
  });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /exemplar combined labelset exceeds 128 characters, timestamp: \d+ series: \{__name__="http_requests_total", job="api"\}/);
  const want = [{
    seriesLabels: { __name__: 'http_requests_total', job: 'api' },
    exemplars: [
      { labels: { trace_id: 'aaa' }, value: '0.25', timestamp: now / 1000 },
      { labels: { trace_id: 'bbb' }, value: '0.5', timestamp: (now + 1000) / 1000 },
    ],
  }];
  const base = `http://127.0.0.1:${http}/prometheus`;
  assert.deepEqual((await queryExemplars(base, 'team-a', 'rate(http_requests_total[1m])', now - 60_000, now + 60_000)).data, want);
  assert.deepEqual((await queryExemplars(base, 'team-b', 'http_requests_total', now - 60_000, now + 60_000)).data, []);
  const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  assert.match(metrics, /myelin_discarded_exemplars_total\{reason="exemplar_labels_too_long",user="team-a"\} 1/);

  await p.stop('SIGKILL');
  p = await startMyelin(dir, http, grpc);
  assert.deepEqual((await queryExemplars(base, 'team-a', 'http_requests_total', now - 60_000, now + 60_000)).data, want, 'acknowledged exemplars survive SIGKILL');
});

/** An exporter of one counter in OpenMetrics text, with a new exemplar at every scrape. */
async function exemplarExporter(): Promise<Server> {
  let n = 0;
  const srv = createServer((_req, res) => {
    n++;
    const t = (Date.now() / 1000).toFixed(3);
    res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
    res.end([
      '# TYPE app_requests counter',
      '# HELP app_requests Requests served.',
      `app_requests_total{path="/api"} ${n} # {trace_id="trace-${n}",span_id="s${n}"} ${n / 4} ${t}`,
      '# EOF',
      '',
    ].join('\n'));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

test('Prometheus 2.42 scrapes OpenMetrics exemplars and remote-writes them: query_exemplars answers the same from both', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'myelin-e2e-prom-exemplars-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const myelin = await startMyelin(dir, http, grpc);
  const exporter = await exemplarExporter();
  let prom: RemoteWritingPrometheus | undefined;
  t.after(async () => {
    // The writer goes first: its open connections would keep Myelin's HTTP server from closing.
    await prom?.stop();
    await myelin.stop();
    await new Promise<void>((resolve) => exporter.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${http}`;
  const target = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  const writer = (prom = await RemoteWritingPrometheus.start(`${base}/api/v1/push`, 'team-a', { scrape: [{ job: 'app', target }], exemplars: true }));
  const start = Date.now() - 60_000;
  const end = Date.now() + 600_000;
  const query = 'sum(rate(app_requests_total[1m]))';
  let mine: ExemplarsAnswer | undefined;
  await waitUntil(async () => {
    if (!writer.proc.running) throw new Error(`prometheus exited: ${writer.proc.output}`);
    mine = await queryExemplars(`${base}/prometheus`, 'team-a', query, start, end);
    return mine.data.length > 0 && mine.data[0].exemplars.length >= 3;
  }, { timeoutMs: 60_000, what: 'three exemplars in Myelin' }).catch((err: unknown) => {
    throw new Error(`last answer ${JSON.stringify(mine)}; prometheus: ${writer.proc.output}; myelin: ${myelin.output}`, { cause: err });
  });
  // Prometheus has at least what it sent; compare up to the newest exemplar Myelin has.
  const got = mine as ExemplarsAnswer;
  const newest = Math.max(...got.data[0].exemplars.map((e) => e.timestamp)) * 1000;
  const theirs = await queryExemplars(writer.url, undefined, query, start, newest);
  assert.equal(theirs.status, 'success');
  assert.deepEqual(got.data.map((s) => ({ ...s, exemplars: s.exemplars.filter((e) => e.timestamp * 1000 <= newest) })), theirs.data);
  assert.deepEqual(Object.keys(got.data[0].exemplars[0].labels).sort(), ['span_id', 'trace_id']);
  assert.equal(got.data[0].seriesLabels.job, 'app');
});
