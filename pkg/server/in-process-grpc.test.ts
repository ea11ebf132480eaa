import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'node:test';
import { Metadata, status, type ServerUnaryCall, type ServerWritableStream, type ServiceError, type sendUnaryData } from '@grpc/grpc-js';
import { IngesterService, type IngesterClient, type LabelNamesRequest, type LabelNamesResponse, type QueryRequest, type QueryStreamResponse } from '../generated/myelin/ingester.js';
import { RpcChannel } from '../workers/index.js';
import { InProcessGrpcClients, InProcessGrpcServer } from './in-process-grpc.js';

interface Handlers {
  labelNames?: (call: ServerUnaryCall<LabelNamesRequest, LabelNamesResponse>, cb: sendUnaryData<LabelNamesResponse>) => void;
  queryStream?: (call: ServerWritableStream<QueryRequest, QueryStreamResponse>) => void;
}

const modes = ['across threads', 'in the same thread'] as const;
type Mode = (typeof modes)[number];

/** A server and its clients: on the two ends of one MessageChannel (as a query worker and its main thread), or in one thread. */
async function connected(mode: Mode, handlers: Handlers, addrs: string[] = ['10.0.0.1:9095']) {
  const server = new InProcessGrpcServer();
  const missing = () => {
    throw new Error('not used by this test');
  };
  server.add(IngesterService, { ...Object.fromEntries(Object.keys(IngesterService).map((k) => [k, missing])), ...handlers });
  for (const a of addrs) server.advertise(a);
  if (mode === 'in the same thread') {
    const clients = server.clients();
    return { clients, client: clients.client(IngesterService) as IngesterClient, close: () => {} };
  }
  const { port1, port2 } = new MessageChannel();
  const clients = new InProcessGrpcClients(new RpcChannel(port2));
  await server.serve(new RpcChannel(port1));
  const close = () => {
    port1.close();
    port2.close();
  };
  return { clients, client: clients.client(IngesterService) as IngesterClient, close };
}

const orgMetadata = (org: string) => {
  const md = new Metadata();
  md.set('x-scope-orgid', org);
  return md;
};

for (const mode of modes) test(`unary calls carry the request, the metadata and the answer across (${mode})`, async (t) => {
  let seen: { org: string; req: LabelNamesRequest } | undefined;
  const { clients, client, close } = await connected(mode, {
    labelNames: (call, cb) => {
      seen = { org: String(call.metadata.get('x-scope-orgid')[0]), req: call.request };
      cb(null, { labelNames: ['a', 'job'] });
    },
  });
  t.after(close);
  assert.equal(clients.serves('10.0.0.1:9095'), true);
  assert.equal(clients.serves('10.0.0.2:9095'), false);
  const res = await new Promise<LabelNamesResponse | undefined>((resolve, reject) =>
    client.labelNames({ startTimestampMs: 1, endTimestampMs: 2, matchers: [], limit: 7 }, orgMetadata('team-a'), { deadline: Date.now() + 5000 },
      (err, r) => (err ? reject(err) : resolve(r))));
  assert.deepEqual(res?.labelNames, ['a', 'job']);
  assert.deepEqual(seen, { org: 'team-a', req: { startTimestampMs: 1, endTimestampMs: 2, matchers: [], limit: 7 } });
});

for (const mode of modes) test(`a unary error keeps its gRPC code, details and trailers (${mode})`, async (t) => {
  const trailers = new Metadata();
  trailers.set('myelin-samples-written', '7');
  const { client, close } = await connected(mode, { labelNames: (_call, cb) => cb({ code: status.RESOURCE_EXHAUSTED, details: 'too many series', metadata: trailers }) });
  t.after(close);
  const err = await new Promise<ServiceError | null>((resolve) => client.labelNames({ startTimestampMs: 0, endTimestampMs: 0, matchers: [], limit: 0 }, new Metadata(), {}, (e) => resolve(e)));
  assert.equal(err?.code, status.RESOURCE_EXHAUSTED);
  assert.equal(err?.details, 'too many series');
  assert.deepEqual(err?.metadata.get('myelin-samples-written'), ['7']);
});

for (const mode of modes) test(`a server stream delivers every message in order, then ends (${mode})`, async (t) => {
  const { client, close } = await connected(mode, {
    queryStream: (call) => {
      for (let i = 0; i < 3; i++) call.write({ chunkseries: [], timeseries: [{ labels: [{ name: 'i', value: String(i) }], samples: [], exemplars: [], histograms: [] }] });
      call.end();
    },
  });
  t.after(close);
  const stream = client.queryStream({ startTimestampMs: 0, endTimestampMs: 1, matchers: [], streamSamples: true, limits: undefined }, new Metadata());
  const got: string[] = [];
  stream.on('data', (m: QueryStreamResponse) => got.push(m.timeseries[0].labels[0].value));
  await once(stream, 'end');
  assert.deepEqual(got, ['0', '1', '2']);
});

for (const mode of modes) test(`a stream failure reaches the client as a ServiceError with its code (${mode})`, async (t) => {
  const { client, close } = await connected(mode, {
    queryStream: (call) => {
      call.write({ chunkseries: [], timeseries: [] });
      call.emit('error', Object.assign(new Error('limit'), { code: status.RESOURCE_EXHAUSTED, details: 'the query hit max_fetched_series_per_query' }));
    },
  });
  t.after(close);
  const stream = client.queryStream({ startTimestampMs: 0, endTimestampMs: 1, matchers: [], streamSamples: true, limits: undefined }, new Metadata());
  let messages = 0;
  stream.on('data', () => messages++);
  const [err] = (await once(stream, 'error')) as [ServiceError];
  assert.equal(messages, 1);
  assert.equal(err.code, status.RESOURCE_EXHAUSTED);
  assert.equal(err.details, 'the query hit max_fetched_series_per_query');
});

for (const mode of modes) test(`cancelling a stream cancels the handler; a deadline fails the call and cancels it too (${mode})`, async (t) => {
  const cancelled: string[] = [];
  const { client, close } = await connected(mode, {
    queryStream: (call) => {
      call.write({ chunkseries: [], timeseries: [] });
      call.on('cancelled', () => cancelled.push(String(call.request.endTimestampMs)));
    },
  });
  t.after(close);
  const first = client.queryStream({ startTimestampMs: 0, endTimestampMs: 1, matchers: [], streamSamples: true, limits: undefined }, new Metadata());
  await once(first, 'data');
  const failed = once(first, 'error');
  first.cancel();
  assert.equal(((await failed) as [ServiceError])[0].code, status.CANCELLED);

  const second = client.queryStream({ startTimestampMs: 0, endTimestampMs: 2, matchers: [], streamSamples: true, limits: undefined }, new Metadata(), { deadline: Date.now() + 50 });
  const [err] = (await once(second, 'error')) as [ServiceError];
  assert.equal(err.code, status.DEADLINE_EXCEEDED);
  for (let i = 0; i < 50 && cancelled.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(cancelled, ['1', '2']);
});

test('a method the process does not serve in process answers UNIMPLEMENTED', async (t) => {
  const { port1, port2 } = new MessageChannel();
  t.after(() => {
    port1.close();
    port2.close();
  });
  void new InProcessGrpcServer().serve(new RpcChannel(port1));
  const client = new InProcessGrpcClients(new RpcChannel(port2)).client(IngesterService) as IngesterClient;
  const err = await new Promise<ServiceError | null>((resolve) => client.metricsMetadata({}, new Metadata(), {}, (e) => resolve(e)));
  assert.equal(err?.code, status.UNIMPLEMENTED);
});
