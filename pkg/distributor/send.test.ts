import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { WriteRequest } from '../generated/prometheus/remote.js';
import type { IngesterConn } from '../ingester/client/index.js';
import { RingSnapshot, RingView } from '../ring/index.js';
import type { ClientPool } from '../ring/client/index.js';
import { instance, seededTokens } from '../ring/testing.js';
import { WriteRequestDecoder, decoderOf, forgetDecoded, rememberDecoded } from '../wire/index.js';
import { DistributorMetrics } from './metrics.js';
import { sendToIngesters, type Accepted } from './send.js';
import { series } from './testing.js';
import { seriesToken } from './shard-token.js';

/** Stand-in connections that record the bytes each push hands them. */
function pool(maxSendMsgSize: number): { pool: ClientPool<IngesterConn>; sent: Map<string, Buffer[]> } {
  const sent = new Map<string, Buffer[]>();
  const get = (addr: string) => ({
    maxSendMsgSize,
    pushRaw: async (_tenant: string, body: Buffer) => void sent.set(addr, [...(sent.get(addr) ?? []), body]),
  });
  return { pool: { get } as unknown as ClientPool<IngesterConn>, sent };
}

/** A decoded request of `n` series and what the distributor would send of it, every series accepted. */
function accepted(n: number): { body: Buffer; a: Accepted } {
  const body = Buffer.from(WriteRequest.encode({ timeseries: Array.from({ length: n }, (_, i) => series('up', { instance: `host-${i}` })), metadata: [] }).finish());
  const d = new WriteRequestDecoder({ labelStrings: false }).decode(body);
  const all = Array.from({ length: n }, (_, i) => i);
  const keys = Uint32Array.from(all, (i) => seriesToken('t', d.buf, d.labelRanges, d.labelsStart[i], d.labelsStart[i + 1], ''));
  return { body, a: { keys, pieces: () => d.v1Pieces(all, [], ''), counts: new Uint32Array(3 * n).fill(1), whole: body } };
}

const ring = (n: number) => new RingView(new RingSnapshot(Array.from({ length: n }, (_, i) => instance(`ingester-${i}`, seededTokens(i + 1, 64)))),
  { replicationFactor: 1, heartbeatTimeout: 0, zoneAwarenessEnabled: false }, Date.now);
const deps = (p: ClientPool<IngesterConn>) => ({ pool: p, metrics: new DistributorMetrics(new Registry()), timeout: 5_000 });
const seriesIn = (bufs: Buffer[]) => bufs.flatMap((b) => WriteRequest.decode(b).timeseries.map((s) => s.labels.find((l) => l.name === 'instance')?.value)).sort();

test('a request accepted whole goes as it came to an ingester that gets every series, and in assembled parts otherwise', async () => {
  const { body, a } = accepted(200);
  const everything = seriesIn([body]);

  const one = pool(4 << 20);
  await sendToIngesters(ring(1), 't', a, deps(one.pool));
  const [only] = [...one.sent.values()];
  assert.equal(only.length, 1);
  assert.equal(only[0], body, 'the request object itself, not a copy');

  // Two ingesters at RF=1 each get part of the series: assembled messages, every series once.
  const two = pool(4 << 20);
  await sendToIngesters(ring(2), 't', a, deps(two.pool));
  const parts = [...two.sent.values()].flat();
  assert.equal(two.sent.size, 2);
  assert.ok(parts.every((b) => b !== body));
  assert.deepEqual(seriesIn(parts), everything);

  // Larger than the connection's message limit: cut into messages within it.
  const small = pool(Math.floor(body.length / 3));
  await sendToIngesters(ring(1), 't', a, deps(small.pool));
  const cut = [...small.sent.values()].flat();
  assert.ok(cut.length >= 3 && cut.every((b) => b !== body && b.length <= Math.floor(body.length / 3)));
  assert.deepEqual(seriesIn(cut), everything);
});

test('a remembered body is found by its bytes through any view of the same memory, until forgotten', () => {
  const { body } = accepted(3);
  const d = new WriteRequestDecoder({ labelStrings: false }).decode(body);
  assert.equal(decoderOf(body), undefined);
  rememberDecoded(body, d);
  assert.equal(decoderOf(Buffer.from(body.buffer, body.byteOffset, body.byteLength)), d);
  assert.equal(decoderOf(new Uint8Array(body)), undefined, 'a copy is decoded again');
  assert.equal(decoderOf(body.subarray(1)), undefined, 'other bytes of the same memory are not this body');
  forgetDecoded(body.subarray(1));
  assert.equal(decoderOf(body), d, 'forgetting other bytes keeps the entry');
  forgetDecoded(body);
  assert.equal(decoderOf(body), undefined);
});
