/**
 * Deletions made by a real Prometheus (admin API delete_series, which writes tombstones into the
 * block) are honoured by Myelin's reader. Starts /usr/bin/prometheus on 127.0.0.1 and a free port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';
import { Block, isUlid, readTombstones } from '../../pkg/tsdb/block/index.js';
import { dumpPlain, dumpQueryable, withTempDir, type PlainSeries } from '../../pkg/tsdb/block/block-test-util.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

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
    const proc = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=100y',
      '--web.enable-admin-api',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    const delStart = t0 + 600_000;
    const delEnd = t0 + 1_200_000;
    try {
      await waitUntil(async () => {
        if (!proc.running) throw new Error(`prometheus exited before becoming ready: ${proc.output}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'prometheus /-/ready' });
      const q = new URLSearchParams({ 'match[]': 'up{job="a"}', start: String(delStart / 1000), end: String(delEnd / 1000) });
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin/tsdb/delete_series?${q}`, { method: 'POST' });
      assert.equal(res.status, 204, await res.text());
    } finally {
      await proc.stop();
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
