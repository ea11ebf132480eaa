/**
 * Deletions made by a real Prometheus (admin API delete_series, which writes tombstones into the
 * block) are honoured by Myelin's reader. Starts /usr/bin/prometheus on 127.0.0.1 and a free port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Block, isUlid, readTombstones } from '../../pkg/tsdb/block/index.js';
import { dumpPlain, dumpQueryable, withTempDir, type PlainSeries } from '../../pkg/tsdb/block/block-test-util.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function pollReady(url: string, exited: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (exited()) throw new Error('prometheus exited before becoming ready');
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  throw new Error(`${url} not ready after 30 s`);
}

test('Myelin reads blocks with tombstones written by Prometheus', async () => {
  await withTempDir(async (dir) => {
    const t0 = 1_699_999_200_000;
    const series: PlainSeries[] = ['a', 'b'].map((job) => ({
      labels: { __name__: 'up', job },
      samples: Array.from({ length: 240 }, (_, i): [number, number] => [t0 + i * 15_000, i]),
    }));
    const om = series
      .map((s) => s.samples.map(([t, v]) => `up{job="${s.labels.job}"} ${v} ${t / 1000}`).join('\n'))
      .join('\n');
    await writeFile(join(dir, 'in.om'), `# TYPE up gauge\n${om}\n# EOF\n`);
    const data = join(dir, 'data');
    await promisify(execFile)(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), data]);
    await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');

    const port = await freePort();
    const proc = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${data}`,
        '--storage.tsdb.retention.time=100y',
        '--web.enable-admin-api',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    let exited = false;
    const done = new Promise<void>((resolve) => proc.on('exit', () => ((exited = true), resolve())));
    const delStart = t0 + 600_000;
    const delEnd = t0 + 1_200_000;
    try {
      await pollReady(`http://127.0.0.1:${port}/-/ready`, () => exited);
      const q = new URLSearchParams({ 'match[]': 'up{job="a"}', start: String(delStart / 1000), end: String(delEnd / 1000) });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/tsdb/delete_series?${q}`, { method: 'POST' });
      assert.equal(res.status, 204, await res.text());
    } finally {
      proc.kill('SIGTERM');
      await done;
    }

    const [id] = (await readdir(data)).filter(isUlid);
    const bdir = join(data, id);
    assert.equal((await readTombstones(bdir)).size, 1, 'prometheus wrote one tombstone');
    const b = await Block.open(bdir);
    try {
      const want = dumpPlain([
        { labels: series[0].labels, samples: series[0].samples.filter(([t]) => t < delStart || t > delEnd) },
        series[1],
      ]);
      assert.deepEqual(await dumpQueryable(b, -Infinity, Infinity), want);
    } finally {
      await b.close();
    }
  });
});
