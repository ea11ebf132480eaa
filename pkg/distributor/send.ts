// Sharding and replication of one push: each accepted series (and metadata entry) has a token;
// doBatch groups them by ingester, one Push per ingester is cut from the request's original bytes,
// and the push succeeds when every series reached a quorum of its replication set.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { IngesterConn } from '../ingester/client/index.js';
import { doBatch, Write, type ReadRing } from '../ring/index.js';
import type { ClientPool } from '../ring/client/index.js';
import { RequestAssembler, type WriteRequestDecoder } from '../wire/index.js';
import type { DistributorMetrics } from './metrics.js';
import { grpcCode } from './push-error.js';

/** What to send of a decoded request. */
export interface Accepted {
  d: WriteRequestDecoder;
  /** Indexes of accepted series, then of accepted metadata, in key order. */
  series: number[];
  metadata: number[];
  /** One token per accepted series then per accepted metadata entry. */
  keys: Uint32Array;
  /** Series re-encoded with changed labels (HA replica label dropped), by series index. */
  rewritten: Map<number, Buffer> | undefined;
}

const grpcStatusName = new Map<number, string>(Object.entries(grpcStatus).map(([k, v]) => [v as number, k]));

export interface SendDeps {
  pool: ClientPool<IngesterConn>;
  metrics: DistributorMetrics;
  timeout: number;
}

export function sendToIngesters(ring: ReadRing, tenant: string, a: Accepted, deps: SendDeps): Promise<void> {
  const { d, series, metadata, rewritten } = a;
  const buf = d.buf;
  const nSeries = series.length;
  const deadline = Date.now() + deps.timeout;
  return doBatch(
    ring,
    a.keys,
    async (inst, indexes) => {
      const req = new RequestAssembler();
      for (const k of indexes) {
        if (k < nSeries) {
          const s = series[k];
          const own = rewritten?.get(s);
          if (own !== undefined) req.add(own, 0, own.length);
          else req.add(buf, d.seriesFrom[s], d.seriesTo[s]);
        } else {
          const m = metadata[k - nSeries];
          req.add(buf, d.metadataFrom[m], d.metadataTo[m]);
        }
      }
      deps.metrics.ingesterAppends.inc({ ingester: inst.addr, type: 'samples' });
      try {
        await deps.pool.get(inst.addr).pushRaw(tenant, req.finish(), { deadline });
      } catch (err) {
        const code = grpcCode(err);
        deps.metrics.ingesterAppendFailures.inc({ ingester: inst.addr, type: 'samples', status: code === undefined ? 'unknown' : (grpcStatusName.get(code) ?? String(code)) });
        throw err;
      }
    },
    { op: Write, signal: AbortSignal.timeout(deps.timeout) },
  );
}
