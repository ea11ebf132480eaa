// The Myelin side of the ingest benchmark until the ingester is wired into the binary: one process
// running the real Server + Distributor (HTTP push, decode, validation, limits, sharding, gRPC Push)
// and, in a child process of its own (so that the server CPU the benchmark reads is the
// distributor's alone, as bench/cluster measures it), a stand-in ingester that decodes each Push
// into columns with pkg/wire (as an ingester should), counts the samples and stores nothing.
// Usage: node ... <http-port>
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Server as GrpcServer, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Distributor, distributorConfig } from '../../pkg/distributor/index.js';
import { defaults } from '../../pkg/flagext/index.js';
import { IngesterService } from '../../pkg/generated/myelin/ingester.js';
import { ingesterClientConfig, ingesterClientFactory } from '../../pkg/ingester/client/index.js';
import { limitsConfig, Overrides } from '../../pkg/limits/index.js';
import { RingSnapshot, RingView } from '../../pkg/ring/index.js';
import { instance, seededTokens } from '../../pkg/ring/testing.js';
import { Server, serverConfig } from '../../pkg/server/index.js';
import { TenantResolver } from '../../pkg/tenant/index.js';
import { WriteRequestDecoder } from '../../pkg/wire/index.js';

const standInArg = 'stand-in-ingester';

/** The stand-in ingester (in the child): reports its gRPC port to the parent, exits with it. */
async function runStandIn(): Promise<void> {
  const ingester = new GrpcServer({ 'grpc.max_receive_message_length': 100 << 20 });
  const decoder = new WriteRequestDecoder({ labelStrings: false });
  const rawPush = { ...IngesterService.push, requestDeserialize: (b: Buffer) => b };
  ingester.addService({ push: rawPush } as unknown as ServiceDefinition, {
    push: (call: ServerUnaryCall<Buffer, unknown>, cb: sendUnaryData<unknown>) => {
      decoder.decode(call.request);
      cb(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    ingester.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  process.on('disconnect', () => process.exit(0));
  process.send?.({ port });
}

if (process.argv[2] === standInArg) {
  await runStandIn();
} else {
  await runDistributor(Number(process.argv[2]));
}

async function runDistributor(httpPort: number): Promise<void> {
  const logger = pino({ level: 'warn' });
  const child = fork(fileURLToPath(import.meta.url), [standInArg]);
  const grpcPort = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`stand-in ingester exited with code ${code}`)));
  });
  const registry = new Registry();
  const server = new Server(
    { ...defaults(serverConfig), httpListenAddress: '127.0.0.1', httpListenPort: httpPort, grpcListenAddress: '127.0.0.1', grpcListenPort: 0 },
    { logger, registry, tenants: new TenantResolver({ authEnabled: true }) },
  );
  const limits = { ...defaults(limitsConfig), ingestionRate: 1e12, ingestionBurstSize: 1e12 };
  const ring = new RingView(
    new RingSnapshot([instance('ingester-0', seededTokens(1, 128), { addr: `127.0.0.1:${grpcPort}` })]),
    { replicationFactor: 1, heartbeatTimeout: 0, zoneAwarenessEnabled: false },
    Date.now,
  );
  const distributor = new Distributor(defaults(distributorConfig), {
    limits: new Overrides(limits, () => new Map()),
    ingesterRing: ring,
    clientFactory: ingesterClientFactory(defaults(ingesterClientConfig)),
    registry,
    logger,
  });
  distributor.registerRoutes(server.http, (req) => server.tenant(req));
  const services = [server.service(), distributor.service()];
  for (const s of services) s.startAsync();
  await Promise.all(services.map((s) => s.awaitRunning()));
  process.on('SIGTERM', () => {
    for (const s of services) s.stopAsync();
    child.kill();
    setImmediate(() => process.exit(0));
  });
}
