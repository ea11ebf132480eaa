// A query worker thread's entry point: it builds the querier's read path once and then runs the
// API requests the main thread hands it, one at a time (pkg/workers serveTasks).
import { workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { executeApi } from '../../api/prometheus/index.js';
import { createLogger } from '../../log/index.js';
import { RingMirror } from '../../ring/index.js';
import { InProcessGrpcClients } from '../../server/index.js';
import { parentChannel, serveTasks, transferring } from '../../workers/index.js';
import type { QueryLimits } from '../../limits/index.js';
import type { QueryTask, QueryTaskAnswer, QueryWorkerData } from './messages.js';
import { newReadPath } from './read-path.js';

const data = workerData as QueryWorkerData;
const logger = createLogger(data.log).child({ component: 'query-worker' });
const registry = new Registry();
const ingesterRing = new RingMirror(data.ingesterRing);
const storeGatewayRing = new RingMirror(data.storeGatewayRing);
let limits: Record<string, QueryLimits> = {};
const rpc = parentChannel();

const readPath = newReadPath(data.readPath, {
  ingesterRing,
  storeGatewayRing: () => storeGatewayRing.snapshot(),
  limits: (tenant) => limits[tenant] ?? missingLimits(tenant),
  logger,
  registry,
  inProcess: new InProcessGrpcClients(rpc),
});
readPath.service.startAsync();
const encoder = new TextEncoder();

serveTasks(async (msg, signal, emit) => {
  const task = msg as unknown as QueryTask;
  if (task.rings !== undefined) {
    ingesterRing.update(task.rings.ingesters);
    storeGatewayRing.update(task.rings.storeGateways);
  }
  ingesterRing.heartbeats(task.heartbeats.ingesters);
  storeGatewayRing.heartbeats(task.heartbeats.storeGateways);
  limits = task.limits;
  // A streamed remote read's frames go to the main thread as they are made, when its caller takes them so.
  const a = await executeApi({ ...task.args, deadline: task.deadline }, readPath.backend, signal, task.stream ? emit : undefined);
  // A Buffer may share its ArrayBuffer (Node's pool): copy it before handing the memory over.
  const body = typeof a.body === 'string' ? encoder.encode(a.body) : new Uint8Array(a.body);
  const answer: QueryTaskAnswer = { status: a.status, body, errorType: a.errorType, error: a.error, headers: a.headers, stats: a.stats };
  return transferring(answer, [body.buffer]);
}, registry, rpc);

function missingLimits(tenant: string): never {
  throw new Error(`BUG: the task carries no limits for tenant ${tenant}`);
}
