import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, status } from '@grpc/grpc-js';
import type { Metadata, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { defaults } from '../flagext/index.js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../generated/grpc/health/v1/health.js';
import type { HealthCheckResponse } from '../generated/grpc/health/v1/health.js';
import { IngesterClient, IngesterService } from '../generated/myelin/ingester.js';
import type { UserStatsResponse } from '../generated/myelin/ingester.js';
import { createLogger } from '../log/index.js';
import { TenantResolver, orgIdFromMetadata, tenantMetadata } from '../tenant/index.js';
import { serverConfig, type ServerConfig } from './config.js';
import { Server } from './server.js';

const silent = createLogger({ level: 'error', format: 'json' }, { write: () => true } as unknown as NodeJS.WritableStream);

async function startServer(authEnabled: boolean, opts: { cfg?: Partial<ServerConfig>; routes?: (s: Server) => void } = {}) {
  const cfg = { ...defaults(serverConfig), httpListenAddress: '127.0.0.1', httpListenPort: 0, grpcListenAddress: '127.0.0.1', grpcListenPort: 0, ...opts.cfg };
  const registry = new Registry();
  const tenants = new TenantResolver({ authEnabled });
  const server = new Server(cfg, { logger: silent, registry, tenants });
  opts.routes?.(server);
  server.http.get('/api/v1/whoami', async (req) => ({ tenant: server.tenant(req) }));
  server.http.get('/api/v1/readers', async (req) => ({ tenants: server.tenants(req) }));
  // Only UserStats is exercised; the other handlers answer UNIMPLEMENTED.
  const impl: UntypedServiceImplementation = {};
  for (const name of Object.keys(IngesterService)) {
    impl[name] = (_call: unknown, cb: (err: Partial<ServiceError>) => void) => cb({ code: status.UNIMPLEMENTED });
  }
  impl.userStats = (call: { metadata: Metadata }, cb: (err: null, v: UserStatsResponse) => void) =>
    cb(null, { ingestionRate: orgIdFromMetadata(call.metadata)?.length ?? 0, numSeries: 0, apiIngestionRate: 0, ruleIngestionRate: 0 });
  server.addGrpcService(IngesterService, impl, { requireTenant: true });
  const svc = server.service();
  svc.startAsync();
  await svc.awaitRunning();
  const stop = async () => { svc.stopAsync(); await svc.awaitTerminated(); };
  return { server, registry, stop, base: `http://127.0.0.1:${server.httpPort()}` };
}

test('HTTP tenant resolution: 401 without org id, 400 when invalid, the tenant otherwise', async (t) => {
  const { base, registry, stop } = await startServer(true);
  t.after(stop);
  const get = (path: string, org?: string) => fetch(base + path, { headers: org === undefined ? {} : { 'X-Scope-OrgID': org } });
  let res = await get('/api/v1/whoami');
  assert.equal(res.status, 401);
  assert.equal(await res.text(), 'no org id');
  res = await get('/api/v1/whoami', '..');
  assert.equal(res.status, 400);
  assert.match(await res.text(), /'\.' or '\.\.'/);
  res = await get('/api/v1/whoami', 'a|b');
  assert.equal(res.status, 400);
  res = await get('/api/v1/whoami', 'team-1');
  assert.deepEqual(await res.json(), { tenant: 'team-1' });
  res = await get('/api/v1/readers', 'b|a');
  assert.deepEqual(await res.json(), { tenants: ['a', 'b'] });

  const text = await registry.metrics();
  assert.match(text, /myelin_tenant_rejected_requests_total\{protocol="http",reason="missing"\} 1/);
  assert.match(text, /myelin_tenant_rejected_requests_total\{protocol="http",reason="invalid"\} 2/);
  assert.match(text, /myelin_request_duration_seconds_count\{method="GET",route="api_v1_whoami",status_code="401",ws="false"\} 1/);
  assert.match(text, /myelin_request_duration_seconds_count\{method="GET",route="api_v1_whoami",status_code="200",ws="false"\} 1/);
});

test('HTTP with auth disabled: every request is anonymous', async (t) => {
  const { base, stop } = await startServer(false);
  t.after(stop);
  const res = await fetch(`${base}/api/v1/whoami`);
  assert.deepEqual(await res.json(), { tenant: 'anonymous' });
});

test('gRPC tenant resolution: UNAUTHENTICATED without, INVALID_ARGUMENT when bad, handler runs otherwise', async (t) => {
  const { server, registry, stop } = await startServer(true);
  const client = new IngesterClient(`127.0.0.1:${server.grpcPort()}`, credentials.createInsecure());
  t.after(async () => { client.close(); await stop(); });
  const call = (md?: Metadata) => new Promise<UserStatsResponse>((resolve, reject) => {
    const cb = (err: ServiceError | null, v: UserStatsResponse) => (err ? reject(err) : resolve(v));
    if (md === undefined) client.userStats({}, cb);
    else client.userStats({}, md, cb);
  });
  await assert.rejects(call(), (err: ServiceError) => err.code === status.UNAUTHENTICATED && err.details === 'no org id');
  await assert.rejects(call(tenantMetadata('bad/tenant')), (err: ServiceError) => err.code === status.INVALID_ARGUMENT && /unsupported character/.test(err.details));
  assert.equal((await call(tenantMetadata('abc'))).ingestionRate, 3);
  const text = await registry.metrics();
  assert.match(text, /myelin_request_duration_seconds_count\{method="gRPC",route="\/myelin\.ingester\.Ingester\/UserStats",status_code="success",ws="false"\} 1/);
  assert.match(text, /myelin_request_duration_seconds_count\{method="gRPC",route="\/myelin\.ingester\.Ingester\/UserStats",status_code="error",ws="false"\} 2/);
  assert.match(text, /myelin_tenant_rejected_requests_total\{protocol="grpc",reason="missing"\} 1/);
});

test('grpc.health.v1 answers per service: SERVING, NOT_SERVING, NOT_FOUND', async (t) => {
  const { server, stop } = await startServer(true);
  let up = false;
  // Registered after start only for the test: the map is read per call.
  server.setHealthCheck('', () => up);
  const client = new HealthClient(`127.0.0.1:${server.grpcPort()}`, credentials.createInsecure());
  t.after(async () => { client.close(); await stop(); });
  const check = (service: string) => new Promise<HealthCheckResponse>((resolve, reject) =>
    client.check({ service }, (err: ServiceError | null, res?: HealthCheckResponse) => (err ? reject(err) : resolve(res as HealthCheckResponse))));
  assert.equal((await check('')).status, HealthCheckResponse_ServingStatus.NOT_SERVING);
  up = true;
  assert.equal((await check('')).status, HealthCheckResponse_ServingStatus.SERVING);
  await assert.rejects(check('no.such.Service'), (err: ServiceError) => err.code === status.NOT_FOUND);
});

test('-server.http-read-timeout is the HTTP server\'s limit for receiving a request', () => {
  const cfg = { ...defaults(serverConfig), httpServerReadTimeout: 1234 };
  const server = new Server(cfg, { logger: silent, registry: new Registry(), tenants: new TenantResolver({ authEnabled: false }) });
  assert.equal(server.http.server.requestTimeout, 1234);
  assert.equal(defaults(serverConfig).httpServerReadTimeout, 30_000, 'Cortex\'s default');
});

test('-server.http-write-timeout cuts off a response not written in time; a quick one is untouched', async (t) => {
  const { base, stop } = await startServer(false, {
    cfg: { httpServerWriteTimeout: 200 },
    routes: (server) => {
      server.http.get('/quick', async () => 'done');
      server.http.get('/slow', async () => new Promise((resolve) => setTimeout(() => resolve('late'), 2000)));
    },
  });
  t.after(stop);
  assert.equal(await (await fetch(`${base}/quick`)).text(), 'done');
  const started = Date.now();
  await assert.rejects(fetch(`${base}/slow`).then((r) => r.text()), /fetch failed|terminated|other side closed/);
  assert.ok(Date.now() - started < 1500, 'cut off at the write timeout, not when the handler ends');
});
