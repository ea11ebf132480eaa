// The store-gateway's Series answer encoding: a batch of 256 node_cpu_seconds_total series with
// three 180-byte chunks each (about 177 KB, the batch size a store-gateway sends), serialized by
// the generated service definition's serializer and by the store-gateway's own (a writer kept and
// reused, no Buffer.from copy). Prints CPU µs per message, alternating the two, after a warm-up.
//
//   node dist/bench/wire/series-response.bench.js
//   BENCH_SMOKE=1 node dist/bench/wire/series-response.bench.js   a few messages
import { StoreGatewayService as Generated, type SeriesResponse } from '../../pkg/generated/myelin/storegateway.js';
import { serializeSeriesResponse } from '../../pkg/store-gateway/index.js';

const N = process.env.BENCH_SMOKE === '1' ? 20 : 3_000;
const message: SeriesResponse = {
  series: Array.from({ length: 256 }, (_, i) => ({
    labels: [{ name: '__name__', value: 'node_cpu_seconds_total' }, { name: 'cpu', value: String(i % 8) }, { name: 'instance', value: `host-${i >> 3}` }, { name: 'mode', value: 'user' }],
    chunks: Array.from({ length: 3 }, (_, k) => ({ minTime: 1.7e12 + k * 1.8e6, maxTime: 1.7e12 + (k + 1) * 1.8e6 - 1, encoding: 1, data: Buffer.alloc(180, k) })),
  })),
  queriedBlocks: [],
};
const serializers: [string, (m: SeriesResponse) => Buffer][] = [['generated', Generated.series.responseSerialize], ['store-gateway', serializeSeriesResponse]];
for (let round = 0; round < 2; round++) {
  for (const [name, serialize] of serializers) {
    for (let i = 0; i < N / 10; i++) serialize(message);
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) serialize(message);
    const c = process.cpuUsage(c0);
    console.log(`${name.padEnd(14)} ${((c.user + c.system) / N).toFixed(1)} µs CPU per message of ${serialize(message).length} bytes`);
  }
}
