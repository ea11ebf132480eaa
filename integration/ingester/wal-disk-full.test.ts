// The real binary on a real full filesystem (a small tmpfs, mounted for the test; it needs root
// or CAP_SYS_ADMIN and is skipped, saying so, where mounting is not permitted): while the WAL
// cannot write, pushes answer 5xx and /ready 503 naming the cause; once space is freed the WAL
// writes again without a restart, and every acknowledged sample is there exactly once, before and
// after a kill -9 and WAL replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snappyEncode } from '../../pkg/wire/index.js';
import { writeRequestBytes, type TestSeries } from '../e2e/cluster.js';
import type { TestProcess} from '../../pkg/testutil/index.js';
import { freePort, startMyelinBinary, waitUntil } from '../../pkg/testutil/index.js';

const singleProcessConfig = fileURLToPath(new URL('../../../configs/single-process.yaml', import.meta.url));
const SERIES = 300;

function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

/** Writes a file until the filesystem is full to the last byte it gives out. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const buf = Buffer.alloc(size, 0x55);
      try {
        for (;;) writeSync(fd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

test('WAL on a full disk: 5xx and /ready 503 while full, recovery without restart, acknowledged samples exactly once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-wal-full-'));
  const disk = join(dir, 'disk');
  mkdirSync(disk);
  const mountErr = mountTmpfs(disk, '8m');
  if (mountErr !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (${mountErr}); the WAL's recovery is covered by the unit tests with an injected failing file`);
    return;
  }
  const http = await freePort();
  const grpc = await freePort();
  const args = [`-config.file=${singleProcessConfig}`, '-server.http-listen-address=127.0.0.1', `-server.http-listen-port=${http}`,
    '-server.grpc-listen-address=127.0.0.1', `-server.grpc-listen-port=${grpc}`,
    `-blocks-storage.tsdb.dir=${disk}/tsdb`, `-blocks-storage.filesystem.dir=${dir}/blocks`];
  let proc: TestProcess | undefined;
  t.after(async () => {
    await proc?.stop('SIGKILL');
    execFileSync('umount', [disk]);
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async () => {
    proc = startMyelinBinary(args);
    const p = proc;
    await waitUntil(async () => !p.running || (await fetch(`http://127.0.0.1:${http}/ready`)).status === 200, { what: 'myelin ready', timeoutMs: 30_000, intervalMs: 50 });
    assert.ok(p.running, p.output);
  };
  const url = (path: string) => `http://127.0.0.1:${http}${path}`;

  const t0 = Date.now() - 60_000;
  /** Acknowledged timestamps (the same for every series). */
  const acked: number[] = [];
  const push = async (ts: number[]): Promise<Response> => {
    const series: TestSeries[] = [];
    for (let i = 0; i < SERIES; i++) series.push({ labels: { __name__: 'wal_full_test', series: String(i), pad: 'p'.repeat(40) }, samples: ts.map((x) => [x, x]) });
    const res = await fetch(url('/api/v1/push'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: snappyEncode(writeRequestBytes(series)),
    });
    if (res.status === 200) acked.push(...ts);
    return res;
  };
  /** Every series' sample timestamps, as the querier answers them. */
  const stored = async (): Promise<Map<string, number[]>> => {
    const params = new URLSearchParams({ query: 'wal_full_test[10m]', time: String((t0 + 120_000) / 1000) });
    const res = await fetch(`${url('/prometheus/api/v1/query')}?${params}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json() as { data: { result: { metric: { series: string }; values: [number, string][] }[] } };
    return new Map(body.data.result.map((r) => [r.metric.series, r.values.map(([s]) => Math.round(s * 1000))]));
  };
  const assertExactlyAcked = async (when: string) => {
    const got = await stored();
    assert.equal(got.size, SERIES, `${when}: every series`);
    for (const [s, ts] of got) assert.deepEqual(ts, acked, `${when}: series ${s} holds each acknowledged sample once`);
  };

  await start();
  assert.equal((await push([t0, t0 + 1000])).status, 200);

  fillUp(join(disk, 'filler'));
  const refused = await push([t0 + 2000, t0 + 3000]);
  assert.ok(refused.status >= 500, `a push the WAL cannot write is retryable: ${refused.status}`);
  assert.match(await refused.text(), /cannot write since .*ENOSPC/);
  const ready = await fetch(url('/ready'));
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /tenant anonymous: WAL .* cannot write since .*ENOSPC: no space left on device/);
  const again = await push([t0 + 2000, t0 + 3000]);
  assert.ok(again.status >= 500, `still full: ${again.status}`);

  rmSync(join(disk, 'filler'));
  await waitUntil(async () => (await fetch(url('/ready'))).status === 200, { what: '/ready 200 once space is back', timeoutMs: 10_000, intervalMs: 50 });
  // Prometheus retries the refused request, then goes on.
  assert.equal((await push([t0 + 2000, t0 + 3000])).status, 200);
  assert.equal((await push([t0 + 4000])).status, 200);
  await assertExactlyAcked('after recovery');

  await proc?.stop('SIGKILL');
  await start();
  await assertExactlyAcked('after kill -9 and WAL replay');
});
