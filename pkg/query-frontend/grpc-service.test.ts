// The frontend worker model over real gRPC (@grpc/grpc-js on 127.0.0.1): a querier's FrontendWorker
// takes requests from a Frontend's Process service and answers them; a querier that goes away
// mid-request has the request retried on another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import type { ApiAnswer, ApiRequest } from '../api/prometheus/index.js';
import { ApiOp } from '../api/prometheus/index.js';
import { defaults } from '../flagext/index.js';
import { createLogger } from '../log/index.js';
import { waitUntil } from '../testutil/index.js';
import { FrontendService } from '../generated/myelin/frontend.js';
import { FrontendWorker } from './client/index.js';
import { frontendConfig, frontendWorkerConfig, queryRangeConfig } from './config.js';
import { Frontend } from './frontend.js';
import { frontendGrpcService } from './grpc-service.js';

const logger = createLogger({ level: 'error', format: 'logfmt' });
const unused = (): Promise<never> => Promise.reject(new Error('no range query here'));

async function frontendServer(at = '127.0.0.1:0'): Promise<{ frontend: Frontend; registry: Registry; addr: string; close: () => void }> {
  const registry = new Registry();
  const frontend = new Frontend(defaults(frontendConfig), defaults(queryRangeConfig), {
    limits: () => ({ maxQueriersPerTenant: 0, maxQueryParallelism: 14, maxQueryLength: 0, maxCacheFreshness: 60_000, resultsCacheTtlForLabelsQuery: 0, queryShardingTotalShards: 16, queryShardingMaxShardedQueries: 128 }),
    merge: unused, assemble: unused, planShards: unused, evaluateSharded: unused, timeout: 10_000, logger, registry,
  });
  const server = new Server();
  server.addService(FrontendService, frontendGrpcService(frontend, logger));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(at, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { frontend, registry, addr: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

function worker(addr: string, id: string, execute: (req: ApiRequest) => Promise<ApiAnswer>) {
  const w = new FrontendWorker({ ...defaults(frontendWorkerConfig), frontendAddress: addr, id }, { execute, maxConcurrent: 2, defaultId: 'unused', logger });
  const svc = w.service();
  svc.startAsync();
  return svc;
}

const connected = async (registry: Registry) => Number(/^myelin_query_frontend_connected_clients (\S+)$/m.exec(await registry.metrics())?.[1]);
const req: ApiRequest = { op: ApiOp.Query, tenant: 'a|b', params: { query: 'up', 'match[]': ['x', 'y'] }, labelName: '', now: 1234 };

test('a querier takes requests over Process streams and answers them; the request arrives as sent', async () => {
  const fe = await frontendServer();
  const seen: ApiRequest[] = [];
  const svc = worker(fe.addr, 'querier-1', async (r) => {
    seen.push(r);
    return { status: 200, body: '{"status":"success"}', stats: { series: 1, chunks: 2, chunkBytes: 3, dataBytes: 4, peakMemoryBytes: 5, samples: 6 } };
  });
  try {
    await waitUntil(async () => (await connected(fe.registry)) === 2, { what: 'two streams' });
    const a = await fe.frontend.execute(req, new AbortController().signal);
    assert.equal(a.status, 200);
    assert.equal(String(a.body), '{"status":"success"}');
    assert.deepEqual({ ...seen[0], deadline: undefined }, { ...req, deadline: undefined, body: undefined });
    assert.ok((seen[0].deadline ?? 0) > Date.now(), 'the deadline travels with the request');
  } finally {
    svc.stopAsync();
    await svc.awaitTerminated();
    await waitUntil(async () => (await connected(fe.registry)) === 0, { what: 'streams closed' });
    fe.close();
  }
});

test('a querier that goes away mid-request: the request is answered by another querier', async () => {
  const fe = await frontendServer();
  let dyingTook = false;
  const dying = worker(fe.addr, 'dying', () => {
    dyingTook = true;
    return new Promise<ApiAnswer>(() => {});
  });
  try {
    await waitUntil(async () => (await connected(fe.registry)) === 2, { what: 'the dying querier\'s streams' });
    const answer = fe.frontend.execute(req, new AbortController().signal);
    await waitUntil(() => dyingTook, { what: 'the dying querier taking the request' });
    const healthy = worker(fe.addr, 'healthy', async () => ({ status: 200, body: 'from the healthy one' }));
    dying.stopAsync();
    assert.equal(String((await answer).body), 'from the healthy one');
    healthy.stopAsync();
    await healthy.awaitTerminated();
  } finally {
    dying.stopAsync();
    await dying.awaitTerminated();
    fe.close();
  }
});

test('a frontend that restarts: the querier opens its streams again and answers', async () => {
  const first = await frontendServer();
  const svc = worker(first.addr, 'querier-1', async () => ({ status: 200, body: 'answered' }));
  let second: Awaited<ReturnType<typeof frontendServer>> | undefined;
  try {
    await waitUntil(async () => (await connected(first.registry)) === 2, { what: 'streams to the first frontend' });
    first.close();
    second = await frontendServer(first.addr);
    await waitUntil(async () => (await connected(second?.registry ?? new Registry())) === 2, { what: 'streams to the restarted frontend' });
    assert.equal(String((await second.frontend.execute(req, new AbortController().signal)).body), 'answered');
  } finally {
    svc.stopAsync();
    await svc.awaitTerminated();
    second?.close();
  }
});
