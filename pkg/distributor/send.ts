// Sharding and replication of one push: each accepted series (and metadata entry) has a token;
// doBatch groups them by ingester, the Push messages of each ingester are assembled from the 1.0
// fields of the request (cut from its original bytes for remote write 1.0), and the push succeeds
// when every series reached a quorum of its replication set.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { IngesterConn } from '../ingester/client/index.js';
import { doBatch, Write, type ReadRing } from '../ring/index.js';
import { deadlineSignal } from '../services/index.js';
import type { ClientPool } from '../ring/client/index.js';
import { RequestAssembler, type WirePieces } from '../wire/index.js';
import type { DistributorMetrics } from './metrics.js';
import { EntryTooLargeError, grpcCode } from './push-error.js';

/** What to send of a decoded request. */
export interface Accepted {
  /** One token per accepted series then per accepted metadata entry. */
  keys: Uint32Array;
  /** The 1.0 WriteRequest field of each key, in key order. */
  pieces: WirePieces;
}

const grpcStatusName = new Map<number, string>(Object.entries(grpcStatus).map(([k, v]) => [v as number, k]));

export interface SendDeps {
  pool: ClientPool<IngesterConn>;
  metrics: DistributorMetrics;
  timeout: number;
}

export async function sendToIngesters(ring: ReadRing, tenant: string, a: Accepted, deps: SendDeps): Promise<void> {
  const deadline = Date.now() + deps.timeout;
  const timeout = deadlineSignal(deps.timeout);
  try {
    await send(ring, tenant, a, deps, deadline, timeout.signal);
  } finally {
    timeout.dispose();
  }
}

function send(ring: ReadRing, tenant: string, a: Accepted, deps: SendDeps, deadline: number, signal: AbortSignal): Promise<void> {
  return doBatch(
    ring,
    a.keys,
    async (inst, indexes) => {
      const conn = deps.pool.get(inst.addr);
      const messages = splitMessages(a, indexes, conn.maxSendMsgSize);
      deps.metrics.ingesterAppends.inc({ ingester: inst.addr, type: 'samples' }, messages.length);
      // Every series is in exactly one message, so the messages may go in parallel.
      await Promise.all(messages.map(async (m) => {
        try {
          await conn.pushRaw(tenant, m.finish(), { deadline });
        } catch (err) {
          const code = grpcCode(err);
          deps.metrics.ingesterAppendFailures.inc({ ingester: inst.addr, type: 'samples', status: code === undefined ? 'unknown' : (grpcStatusName.get(code) ?? String(code)) });
          throw err;
        }
      }));
    },
    { op: Write, signal },
  );
}

/**
 * Cuts what one ingester gets into WriteRequests of at most `limit` bytes each (the client's max
 * send size, at or below the ingester's max receive size), so that a request the distributor
 * accepts (up to -distributor.max-recv-msg-size) is never refused by an ingester for its size.
 */
export function splitMessages(a: Accepted, indexes: readonly number[], limit: number): RequestAssembler[] {
  const { bufs, from, to } = a.pieces;
  const out: RequestAssembler[] = [];
  let req = new RequestAssembler();
  for (const k of indexes) {
    const n = to[k] - from[k];
    if (n > limit) throw new EntryTooLargeError(n, limit);
    if (req.size + n > limit) {
      out.push(req);
      req = new RequestAssembler();
    }
    req.add(bufs[k], from[k], to[k]);
  }
  if (req.size > 0) out.push(req);
  return out;
}
