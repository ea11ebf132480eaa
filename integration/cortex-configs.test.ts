// Cortex's six example configs for blocks storage (integration/cortex-configs/, their keys and
// values) start Myelin as they are, and each serves a push and a query. What the test changes,
// through flags, which win over the file: ports and listen addresses (free ones on 127.0.0.1) and
// directories (a temporary one), plus:
// - S3 (three of them): the endpoint is a local S3-compatible server (fauxqs, not AWS) that the
//   test starts, with its bucket created, and a key pair (the files have none or a placeholder).
// - memberlist (the two gossip ones): refused by design, naming etcd and inmemory; they run with
//   the memberlist section left out and the rings on inmemory.
// - /config/runtime-config.yaml (getting-started) does not exist here: -runtime-config.file= .
// The TLS one runs with certificates the test makes under the file names it uses.
// Beyond serving, the settings take effect: GET /config shows the file's values, the ingester
// holds the file's num_tokens in the ring, a flush puts blocks in the S3 bucket the file names,
// and with grpc_tls_config the gRPC port refuses plain text and clients without a certificate.
// Where each file comes from: integration/cortex-configs/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { S3Bucket } from '../pkg/bucket/index.js';
import { WriteRequest } from '../pkg/generated/prometheus/remote.js';
import { S3TestServer } from '../pkg/bucket/s3/testing/s3-test-server.js';
import { snappyEncode } from '../pkg/wire/index.js';
import { makeTestCerts, type TestCerts } from '../pkg/testutil/index.js';
import { grpcHealthCheck } from './e2e/grpc-health.js';
import type { TestProcess} from '../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../pkg/testutil/index.js';

const fixtures = fileURLToPath(new URL('../../integration/cortex-configs/', import.meta.url));
const tenant = 'cortex-user';

interface Case {
  file: string;
  /** Extra flags beyond ports and directories. */
  flags?: string[];
  /** Why the file as it is must be refused, when it must. */
  refusedAs?: RegExp;
  /** Rewrites the file before the run that must serve (after a refusal). */
  edit?: (text: string) => string;
  tls?: boolean;
  /** The buckets the file names, for files with blocks (and rules) on S3. */
  s3Buckets?: string[];
}

const withoutMemberlist = (text: string) =>
  text.replace(/^memberlist:\n(?: {2}.*\n)+/m, '').replace(/store: memberlist/g, 'store: inmemory');
const memberlistRefused = /^error loading config: ingester\.lifecycler\.ring\.kvstore\.store: memberlist is not supported: Myelin keeps its rings in etcd \(store: etcd\), or in memory for a single process \(store: inmemory\)$/m;
const notYet = ['alertmanager', 'alertmanager_storage'];

const cases: Case[] = [
  { file: 'single-process-config-blocks.yaml', s3Buckets: ['cortex'] },
  { file: 'single-process-config-blocks-local.yaml' },
  { file: 'single-process-config-blocks-tls.yaml', s3Buckets: ['cortex'], tls: true },
  { file: 'single-process-config-blocks-gossip-1.yaml', refusedAs: memberlistRefused, edit: withoutMemberlist },
  { file: 'single-process-config-blocks-gossip-2.yaml', refusedAs: memberlistRefused, edit: withoutMemberlist },
  { file: 'cortex-config.yaml', s3Buckets: ['cortex-blocks', 'cortex-ruler'], flags: ['-runtime-config.file='] },
];

function args(config: string, dir: string, http: number, grpc: number, extra: string[]): string[] {
  return [`-config.file=${config}`,
    '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${dir}/tsdb`, `-blocks-storage.bucket-store.sync-dir=${dir}/sync`,
    `-blocks-storage.filesystem.dir=${dir}/blocks`, `-compactor.data-dir=${dir}/compactor`, ...extra];
}

/** Options of the files that GET /config must show with the file's value (when the file sets them). */
const shownAsInFile = ['server.grpc_server_max_concurrent_streams', 'ingester.lifecycler.num_tokens', 'ingester.lifecycler.ring.replication_factor',
  'distributor.shard_by_all_labels', 'blocks_storage.backend', 'blocks_storage.s3.bucket_name', 'ruler_storage.backend', 'ruler.enable_api'];

const at = (doc: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);

function push(http: number, now: number): Promise<Response> {
  const body = WriteRequest.encode({
    timeseries: [{ labels: [{ name: '__name__', value: 'cortex_compat_up' }, { name: 'job', value: 'drop-in' }], samples: [{ timestamp: now, value: 1 }], exemplars: [], histograms: [] }],
    metadata: [],
  }).finish();
  return fetch(`http://127.0.0.1:${http}/api/v1/push`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Scope-OrgID': tenant },
    body: snappyEncode(Buffer.from(body)),
  });
}

for (const c of cases) {
  test(`Cortex's ${c.file} starts Myelin, which serves a push and a query`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-cortex-cfg-'));
    const started: TestProcess[] = [];
    const s3 = new S3TestServer();
    t.after(async () => {
      await Promise.all(started.map((s) => s.stop('SIGKILL')));
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const flags = [...(c.flags ?? [])];
    const buckets = new Map<string, S3Bucket>();
    if (c.s3Buckets !== undefined) {
      await s3.start();
      for (const b of c.s3Buckets) buckets.set(b, new S3Bucket(await s3.createBucket(b)));
      for (const storage of ['blocks-storage', 'ruler-storage']) {
        flags.push(`-${storage}.s3.endpoint=${s3.endpoint}`, `-${storage}.s3.insecure=true`,
          `-${storage}.s3.access-key-id=test`, `-${storage}.s3.secret-access-key=test`);
      }
    }
    // root.crt, server.crt, client.crt ... as the file names them
    const certs: TestCerts | undefined = c.tls === true ? makeTestCerts(dir) : undefined;
    const [http, grpc] = [await freePort(), await freePort()];
    const original = join(fixtures, c.file);

    if (c.refusedAs !== undefined) {
      const refused = startMyelinBinary(args(original, dir, http, grpc, []), { cwd: dir });
      assert.equal(await refused.exited(), 1, refused.output);
      assert.match(refused.output, c.refusedAs);
      assert.doesNotMatch(refused.output, /server listening/, 'refused before any server listens');
    }

    let config = original;
    if (c.edit !== undefined) {
      config = join(dir, c.file);
      writeFileSync(config, c.edit(readFileSync(original, 'utf8')));
    }
    const p = startMyelinBinary(args(config, dir, http, grpc, flags), { cwd: dir });
    started.push(p);
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: `${c.file}: ready`, timeoutMs: 90_000, intervalMs: 200 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.output}`);
    });
    await waitUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } });
      return ((await r.json()) as { instances: { state: string }[] }).instances.some((i) => i.state === 'ACTIVE');
    }, { what: 'an ACTIVE ingester', timeoutMs: 30_000 });

    // Sections for components Myelin does not have: one warning each, naming the section.
    for (const section of notYet) {
      const lines: string[] = p.output.split('\n').filter((l) => l.includes(`config: ${section}: ignored: Myelin has no`));
      assert.equal(lines.length, 1, `${section}: one warning\n${p.output}`);
    }

    const now = Date.now();
    const res = await push(http, now);
    assert.equal(res.status, 200, await res.text());
    // Through Cortex's legacy prefix (/api/prom) as well as Myelin's default (/prometheus).
    for (const prefix of ['/prometheus', '/api/prom']) {
      await waitUntil(async () => {
        const r = await fetch(`http://127.0.0.1:${http}${prefix}/api/v1/query?query=cortex_compat_up&time=${now / 1000}`, { headers: { 'X-Scope-OrgID': tenant } });
        const body = await r.json() as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
        assert.equal(r.status, 200, JSON.stringify(body));
        assert.deepEqual(body.data.result.map((s) => [s.metric.job, s.value[1]]), [['drop-in', '1']]);
        return true;
      }, { what: `${prefix} query`, timeoutMs: 10_000 });
    }
    const stats = await (await fetch(`http://127.0.0.1:${http}/api/v1/user_stats`, { headers: { 'X-Scope-OrgID': tenant } })).json() as { numSeries: number };
    assert.equal(stats.numSeries, 1);

    // The file's settings are the ones in force.
    const file: unknown = parseYaml(readFileSync(config, 'utf8'));
    const shown: unknown = parseYaml(await (await fetch(`http://127.0.0.1:${http}/config`, { headers: { accept: 'text/plain' } })).text());
    for (const path of shownAsInFile) {
      if (at(file, path) !== undefined) assert.deepEqual(at(shown, path), at(file, path), `${c.file}: /config ${path}`);
    }
    const ring = await (await fetch(`http://127.0.0.1:${http}/ingester/ring`, { headers: { accept: 'application/json' } })).json() as { instances: { tokens: number }[] };
    assert.deepEqual(ring.instances.map((i) => i.tokens), [at(file, 'ingester.lifecycler.num_tokens')], 'the ingester holds num_tokens tokens');
    if (c.tls === true && certs !== undefined) {
      assert.equal(await grpcHealthCheck(grpc, {}), 'error', 'plain-text gRPC is refused');
      assert.equal(await grpcHealthCheck(grpc, { tlsCaPath: certs.rootCrt }), 'error', 'a client without a certificate is refused');
      assert.equal(await grpcHealthCheck(grpc, { tlsCertPath: certs.clientCrt, tlsKeyPath: certs.clientKey, tlsCaPath: certs.rootCrt }), 'SERVING');
    }
    const blocksBucket = at(file, 'blocks_storage.s3.bucket_name');
    if (at(file, 'blocks_storage.backend') === 's3' && typeof blocksBucket === 'string') {
      assert.equal((await fetch(`http://127.0.0.1:${http}/ingester/flush?wait=true`, { method: 'POST' })).status, 204);
      const objects: string[] = [];
      // With auth_enabled: false every request is the tenant `anonymous`, as in Cortex.
      const owner = at(file, 'auth_enabled') === false ? 'anonymous' : tenant;
      await (buckets.get(blocksBucket) as S3Bucket).iter(`${owner}/`, (name) => void objects.push(name), { recursive: true });
      assert.ok(objects.some((o) => /\/meta\.json$/.test(o)), `${c.file}: a flushed block in S3 bucket ${blocksBucket}: ${objects.join(', ')}\n${p.output.slice(-3000)}`);
    }
  });
}
