// Cortex's operator HTTP endpoints on one Myelin process: GET as well as POST on flush and
// shutdown, the user stats, the /api/prom prefix and the profiling endpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { flagBindings, loadConfig } from '../pkg/flagext/index.js';
import { basicFlags, myelinAliases, myelinConfig } from '../pkg/myelin/index.js';
import { WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { snappyEncode } from '../pkg/wire/index.js';
import { freePort, myelinBinary, startMyelinBinary, waitUntil } from '../pkg/testutil/index.js';

function push(base: string, path: string, tenant: string, now: number): Promise<Response> {
  const body = WriteRequest.encode({
    timeseries: [{ labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: tenant }], samples: [{ timestamp: now, value: 1 }], exemplars: [], histograms: [] }],
    metadata: [],
  }).finish();
  return fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': tenant },
    body: snappyEncode(Buffer.from(body)),
  });
}

test('flush and shutdown on GET, user stats, /api/prom, profiling', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-cortex-http-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const p = startMyelinBinary(['-target=all',
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`,
    '-distributor.replication-factor=1', '-ingester.max-transfer-retries=0']);
  t.after(async () => {
    await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${http}`;
  await waitUntil(async () => (await fetch(`${base}/ready`)).status === 200, { what: 'ready', timeoutMs: 60_000 });
  await waitUntil(async () => {
    const r = await fetch(`${base}/ingester/ring`, { headers: { accept: 'application/json' } });
    return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
  }, { what: 'an ACTIVE ingester' });

  const now = Date.now();
  assert.equal((await push(base, '/api/v1/push', 'team-a', now)).status, 200);
  assert.equal((await push(base, '/api/prom/push', 'team-b', now)).status, 200, 'push under -http.prefix');

  // The tenant's own stats (Cortex's JSON names), under /api/v1 and the legacy prefix.
  for (const path of ['/api/v1/user_stats', '/api/prom/user_stats']) {
    const r = await fetch(base + path, { headers: { 'X-Scope-OrgID': 'team-a' } });
    assert.equal(r.status, 200);
    const stats = await r.json() as Record<string, number>;
    assert.deepEqual(Object.keys(stats).sort(), ['APIIngestionRate', 'RuleIngestionRate', 'ingestionRate', 'numSeries']);
    assert.equal(stats.numSeries, 1);
  }
  assert.equal((await fetch(`${base}/api/v1/user_stats`)).status, 401, 'no tenant');

  const all = await (await fetch(`${base}/ingester/all_user_stats`, { headers: { accept: 'application/json' } })).json() as { userId: string; numSeries: number }[];
  assert.deepEqual(all.map((s) => [s.userId, s.numSeries]).sort(), [['team-a', 1], ['team-b', 1]]);
  const page = await (await fetch(`${base}/ingester/all_user_stats`)).text();
  assert.match(page, /<td>team-a<\/td><td>1<\/td>/);

  const q = await fetch(`${base}/api/prom/api/v1/query?query=up&time=${now / 1000}`, { headers: { 'X-Scope-OrgID': 'team-b' } });
  assert.deepEqual(((await q.json()) as { data: { result: { metric: { job: string } }[] } }).data.result.map((s) => s.metric.job), ['team-b']);

  // Profiling: a CPU profile of N seconds and a heap snapshot, in DevTools' formats.
  const [profile, busy] = await Promise.all([
    fetch(`${base}/debug/pprof/profile?seconds=1`),
    new Promise((r) => setTimeout(r, 200)).then(() => fetch(`${base}/debug/pprof/heap`)),
  ]);
  assert.equal(profile.status, 200);
  const cpu = await profile.json() as { nodes: unknown[]; startTime: number; endTime: number };
  assert.ok(cpu.nodes.length > 0);
  assert.ok(cpu.endTime - cpu.startTime >= 900_000, `a profile of about 1s (µs): ${cpu.endTime - cpu.startTime}`);
  assert.equal(busy.status, 409, 'one profile at a time');
  for (const bad of ['0', 'abc', '301', '-1']) {
    const r = await fetch(`${base}/debug/pprof/profile?seconds=${bad}`);
    assert.equal(r.status, 400, bad);
    assert.match(await r.text(), /^seconds: expected a number of seconds in \(0, 300\]/);
  }
  const heap = await (await fetch(`${base}/debug/pprof/heap`)).json() as { snapshot: { meta: { node_fields: string[] } } };
  assert.ok(heap.snapshot.meta.node_fields.includes('name'));

  // GET flush (Cortex answers GET and POST): the heads become blocks in the bucket.
  const flush = await fetch(`${base}/ingester/flush?wait=true`);
  assert.equal(flush.status, 204);
  assert.ok(existsSync(join(dir, 'blocks', 'team-a')) && readdirSync(join(dir, 'blocks', 'team-a')).length > 0, 'team-a has a block');

  // GET shutdown: the process leaves the ring and exits cleanly.
  assert.equal((await fetch(`${base}/ingester/shutdown`)).status, 204);
  assert.equal(await p.exited(), 0, p.output);
});

test('the binary: -help is the common options by section, -help-all every one; typos get the nearest name', async () => {
  // Through a pipe, all of stdout and stderr (`myelin -help-all | less` once lost all but 64 KiB).
  const run = async (args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [myelinBinary, ...args], { maxBuffer: 1 << 22 });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  };
  const expected = (flag: string) => {
    const r = loadConfig(myelinConfig, [flag], { env: {}, readFile: () => '', aliases: myelinAliases, basicFlags });
    assert.equal(r.kind, 'help');
    return `${r.text}\n`;
  };
  const help = await run(['-help']);
  assert.equal(help.code, 0);
  assert.equal(help.out, expected('-help'));
  assert.match(help.out, /\nserver:\n {2}-log\.format /);
  assert.match(help.out, /-help-all lists every option/);
  assert.doesNotMatch(help.out, /-server\.http-idle-timeout/, 'advanced options only in -help-all');
  // Short: the common flags only (Cortex's -help), not the hundreds -help-all lists.
  const flagsIn = (text: string) => text.split('\n').filter((l) => l.startsWith('  -')).length;
  assert.ok(help.out.split('\n').length <= 200, `-help has ${help.out.split('\n').length} lines`);
  for (const name of basicFlags) assert.ok(flagBindings(myelinConfig).has(name), `basic flag -${name} is a flag`);

  const helpAll = await run(['-help-all']);
  assert.equal(helpAll.code, 0);
  assert.ok(helpAll.out.length > 65_536, `-help-all is ${helpAll.out.length} bytes, more than one pipe buffer`);
  assert.equal(helpAll.out, expected('-help-all'));
  assert.match(helpAll.out, /-server\.http-idle-timeout duration\n.*\[advanced\]/);
  assert.ok(flagsIn(helpAll.out) > 4 * flagsIn(help.out), `-help-all ${flagsIn(helpAll.out)} flags, -help ${flagsIn(help.out)}`);

  const typo = await run(['-server.http-listen-prot=1']);
  assert.equal(typo.code, 1);
  assert.match(typo.out, /flag provided but not defined: -server\.http-listen-prot; did you mean -server\.http-listen-port\?/);
  // A former flag still works (here only checked to be accepted: -help stops before running).
  assert.equal((await run(['-store-gateway.sharding-ring.lifecycler.ID=sg-1', '-help'])).code, 0);
});
