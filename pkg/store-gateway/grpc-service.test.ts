import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeriesResponse } from '../generated/myelin/storegateway.js';
import { StoreGatewayService, serializeSeriesResponse } from './grpc-service.js';

const answer = (n: number, bytes: number): SeriesResponse => ({
  series: Array.from({ length: n }, (_, i) => ({
    labels: [{ name: '__name__', value: `m${i}` }],
    chunks: [{ minTime: i, maxTime: i + 10, encoding: 1, data: Buffer.alloc(bytes, i) }],
  })),
  queriedBlocks: [`block-${n}`],
});

test('Series answers encode as the generated serializer does, each into bytes of its own', () => {
  const big = answer(300, 2_000);
  const small = answer(2, 10);
  const a = serializeSeriesResponse(big);
  const b = serializeSeriesResponse(small); // reuses the writer a was made in
  assert.deepEqual(a, Buffer.from(SeriesResponse.encode(big).finish()));
  assert.deepEqual(b, Buffer.from(SeriesResponse.encode(small).finish()));
  assert.deepEqual(SeriesResponse.decode(a), big);
  assert.equal(StoreGatewayService.series.responseSerialize, serializeSeriesResponse);
});
