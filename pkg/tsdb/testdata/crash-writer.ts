/**
 * Child process of the crash test (head-crash.test.ts): appends batches to a head with a WAL and
 * prints `ack <id>` once each commit resolved, and `trunc <mint>` before each truncation (which may
 * drop samples older than mint), until it is killed. Batch <id> holds one sample at t = id * 1000 for
 * each of SERIES series: a float (v = id) for even series, a native histogram (count id) for odd ones.
 *
 * With `ooo`, the head has an out-of-order window and each batch also holds, for each even series,
 * a late sample at t = id * 1000 - 500 (after the batch's newer one: out of order, into the WBL).
 *
 * Usage: node crash-writer.js <wal dir> [ooo]
 */
import { Registry } from 'prom-client';
import type { Histogram } from '../../model/histogram/index.js';
import { Labels } from '../../model/labels/index.js';
import { Head } from '../head.js';

const SERIES = 50;

async function main(dir: string, ooo: boolean): Promise<void> {
  const late = ooo ? { wblDir: `${dir}-wbl`, outOfOrderTimeWindow: 3600_000 } : {};
  const head = await Head.open({ walDir: dir, wal: { segmentSize: 64 * 1024, fsync: 'none' }, ...late }, { registry: new Registry() });
  const labels: Labels[] = [];
  for (let i = 0; i < SERIES; i++) labels.push(Labels.fromRecord({ __name__: 'crash_test', series: String(i) }));
  const refs = new Array<number>(SERIES).fill(0);
  let id = head.maxTime() === -Infinity ? 0 : head.maxTime() / 1000 + 1;
  const app = head.appender();
  for (;;) {
    for (let i = 0; i < SERIES; i++) {
      refs[i] = i % 2 === 0 ? app.append(refs[i], labels[i], id * 1000, id) : app.appendHistogram(refs[i], labels[i], id * 1000, histogram(id), undefined);
    }
    if (ooo) for (let i = 0; i < SERIES; i += 2) app.append(refs[i], labels[i], id * 1000 - 500, -id);
    await app.commit();
    process.stdout.write(`ack ${id}\n`);
    if (id % 40 === 39) {
      const mint = (id - 30) * 1000;
      process.stdout.write(`trunc ${mint}\n`);
      await head.truncate(mint);
    }
    id++;
  }
}

/** A two-bucket histogram whose counts grow with id. */
function histogram(id: number): Histogram {
  return {
    counterResetHint: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, count: 2 * id, sum: id,
    positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [id, 0], negativeBuckets: [], customValues: [],
  };
}

main(process.argv[2], process.argv[3] === 'ooo').catch((err: unknown) => {
  process.stderr.write(`crash-writer: ${String(err)}\n`);
  process.exit(1);
});
