// Runs the real `myelin` binary as a child process: startup, status endpoints, config errors,
// failure exit codes and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, myelinBinary as binary, pollFor, portIsFree } from '../pkg/testutil/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'myelin-bin-data-'));
const localPorts = ['-server.http-listen-address=127.0.0.1', '-server.http-listen-port=0',
  '-server.grpc-listen-address=127.0.0.1', '-server.grpc-listen-port=0', '-log.format=json',
  `-blocks-storage.tsdb.dir=${dataDir}/tsdb`, `-blocks-storage.filesystem.dir=${dataDir}/blocks`];

interface Running {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  stderr: () => string;
}

function run(args: string[]): Running {
  const proc = spawn(process.execPath, [binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let partial = '';
  proc.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      try { logs.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not a log line */ }
    }
  });
  proc.stdout?.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, logs, exited, stderr: () => stderr };
}

/** Polls `fn` (up to 30 s by default) until it returns a value. */
function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return pollFor(fn, { what, timeoutMs });
}

async function startMyelin(t: { after: (fn: () => Promise<void>) => void }, extra: string[] = []) {
  const r = run([...localPorts, ...extra]);
  t.after(async () => {
    if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    await r.exited;
  });
  const listening = await waitFor('server listening log', () => r.logs.find((l) => l.msg === 'server listening'));
  return { ...r, base: `http://127.0.0.1:${listening.http as number}` };
}

test('-target=all serves /ready, /services, /config, /metrics, the query page and the status index, then stops on SIGTERM', async (t) => {
  const m = await startMyelin(t, ['-auth.enabled=false']);
  await waitFor('ready', async () => ((await fetch(`${m.base}/ready`)).status === 200 ? true : undefined), 60_000);

  const services = await (await fetch(`${m.base}/services`, { headers: { accept: 'application/json' } })).json() as { name: string; state: string }[];
  assert.deepEqual(services.map((s) => s.name).sort(), ['compactor', 'distributor', 'ingester', 'querier', 'query-frontend', 'ring', 'ruler', 'runtime-config', 'server', 'store-gateway']);
  assert.ok(services.every((s) => s.state === 'Running'));
  assert.match(await (await fetch(`${m.base}/services`)).text(), /<td>server<\/td><td>Running<\/td>/);

  const config = await (await fetch(`${m.base}/config`)).text();
  assert.match(config, /http_listen_port: 0/);
  assert.match(config, /auth_enabled: false/);
  const diff = await (await fetch(`${m.base}/config?mode=diff`)).text();
  assert.doesNotMatch(diff, /ingestion_rate/);
  assert.match(diff, /log_format: json/);
  assert.equal((await fetch(`${m.base}/config?mode=bogus`)).status, 400);

  const metrics = await (await fetch(`${m.base}/metrics`)).text();
  assert.match(metrics, /myelin_build_info\{version="[^"]+",revision="[^"]*",branch="[^"]*",nodeversion="v\d+/);
  assert.match(metrics, /process_cpu_seconds_total/);
  assert.match(metrics, /nodejs_heap_size_used_bytes/);
  // The engines live in the query workers (one query each, and a spare): their metrics are summed
  // here once every worker has started.
  const workers = Number(/^myelin_querier_workers (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(workers >= 1, 'the query worker pool\'s size');
  const engines = new RegExp(`^myelin_promql_engine_queries_concurrent_max ${workers + 1}$`, 'm');
  await waitFor('the query workers\' PromQL engine metrics',
    async () => (engines.test(await (await fetch(`${m.base}/metrics`)).text()) ? true : undefined), 20_000);
  assert.match(metrics, /myelin_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="ready",status_code="200",ws="false"\}/);

  // With a querier, / is the query page; /status is the index of every status page.
  assert.match(await (await fetch(`${m.base}/`)).text(), /<h1>Query<\/h1>/);
  const index = await (await fetch(`${m.base}/status`)).text();
  for (const path of ['/services', '/config', '/metrics', '/runtime_config', '/ingester/ring', '/store-gateway/ring', '/distributor/ring']) assert.ok(index.includes(`href="${path}"`), path);
  const distributors = await (await fetch(`${m.base}/distributor/ring`, { headers: { accept: 'application/json' } })).json() as { instances: { state: string }[] };
  assert.deepEqual(distributors.instances.map((i) => i.state), ['ACTIVE'], 'the distributor ring page lists this distributor');

  m.proc.kill('SIGTERM');
  assert.equal(await m.exited, 0);
  assert.ok(m.logs.some((l) => l.msg === 'myelin stopped'), m.stderr());
});

test('-target takes a comma list and rejects unknown modules', async (t) => {
  const m = await startMyelin(t, ['-target=distributor,querier']);
  await waitFor('ready', async () => ((await fetch(`${m.base}/ready`)).status === 200 ? true : undefined), 60_000);
  m.proc.kill('SIGINT');
  assert.equal(await m.exited, 0);

  const bad = run([...localPorts, '-target=distributor,bogus']);
  assert.equal(await bad.exited, 1);
  assert.match(bad.stderr(), /error loading config: target: unknown module "bogus"; valid: all, compactor, distributor/);
});

test('config errors stop startup with the key path and exit code 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-bin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'myelin.yaml');
  writeFileSync(file, 'server:\n  grpc_listen_port: lots\n');
  const r = run([`-config.file=${file}`]);
  assert.equal(await r.exited, 1);
  assert.match(r.stderr(), /error loading config: server\.grpc_listen_port: expected an integer, got "lots"/);
});

test('an ingester whose client may send more than its server receives refuses to start', async () => {
  const r = run([...localPorts, '-target=ingester', '-ingester.client.grpc-max-send-msg-size=8388608']);
  assert.equal(await r.exited, 1);
  assert.match(r.stderr(), /error loading config: ingester_client\.grpc_client_config\.max_send_msg_size: -ingester\.client\.grpc-max-send-msg-size \(8388608\) is larger than -server\.grpc-max-recv-msg-size-bytes \(4194304\)/);
});

test('every config error is found before any server listens, named by its key path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-bin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const runtime = join(dir, 'runtime.yaml');
  writeFileSync(runtime, 'overrides:\n  t1:\n    no_such_limit: 1\n');
  const cases: Record<string, { args: string[]; err: RegExp }> = {
    'runtime config file': { args: [`-runtime-config.file=${runtime}`], err: /runtime_config\.file \S+runtime\.yaml: overrides\.t1\.no_such_limit: unknown key/ },
    'compactor': { args: ['-compactor.deletion-delay=0s'], err: /compactor\.deletion_delay: must be positive/ },
    'HA tracker timeouts': { args: ['-distributor.ha-tracker.enable=true', '-distributor.ha-tracker.failover-timeout=5s'], err: /distributor\.ha_tracker\.ha_tracker_failover_timeout: must be at least 1s longer/ },
    'ring KV store': { args: ['-ring.store=etcd'], err: /ingester\.lifecycler\.ring\.kvstore\.etcd\.endpoints: the etcd KV store needs at least one endpoint/ },
    'store-gateway ring KV store': { args: ['-store-gateway.sharding-ring.store=etcd'], err: /store_gateway\.sharding_ring\.kvstore\.etcd\.endpoints: / },
    'bucket store': { args: ['-blocks-storage.bucket-store.sync-dir='], err: /blocks_storage\.bucket_store\.sync_dir: must not be empty/ },
  };
  for (const [name, c] of Object.entries(cases)) {
    const [http, grpc] = [await freePort(), await freePort()];
    const r = run(['-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`, '-server.grpc-listen-address=127.0.0.1',
      `-server.grpc-listen-port=${grpc}`, `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`, ...c.args]);
    assert.equal(await r.exited, 1, name);
    assert.match(r.stderr(), new RegExp(`^error loading config: ${c.err.source}`, 'm'), name);
    assert.doesNotMatch(r.stderr(), /listening/i, name);
    assert.ok(await portIsFree(http), `${name}: HTTP port never bound`);
    assert.ok(await portIsFree(grpc), `${name}: gRPC port never bound`);
  }
});

test('-help-all lists every flag with its default', async () => {
  const r = run(['-help-all']);
  assert.equal(await r.exited, 0);
  for (const flag of ['-server.http-listen-port', '-server.grpc-listen-port', '-auth.enabled', '-log.level', '-log.format',
    '-config.file', '-config.expand-env', '-runtime-config.file', '-runtime-config.reload-period', '-target']) {
    assert.ok(r.stderr().includes(flag), `missing ${flag}`);
  }
  assert.match(r.stderr(), /HTTP server listen port\. \(default "9009"\)/);
});
