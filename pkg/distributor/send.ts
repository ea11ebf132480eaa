// Sharding and replication of one push: each accepted series (and metadata entry) has a token;
// doBatch groups them by ingester, the Push messages of each ingester are assembled from the 1.0
// fields of the request (cut from its original bytes for remote write 1.0), and the push succeeds
// when every series reached a quorum of its replication set.
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { writtenFromTrailers, type IngesterConn } from '../ingester/client/index.js';
import { doBatch, Write, type ReadRing } from '../ring/index.js';
import { deadlineSignal } from '../services/index.js';
import type { ClientPool } from '../ring/client/index.js';
import { RequestAssembler, type WirePieces } from '../wire/index.js';
import type { DistributorMetrics } from './metrics.js';
import { EntryTooLargeError, grpcCode, isClientCode, type Written } from './push-error.js';

/** What to send of a decoded request. */
export interface Accepted {
  /** One token per accepted series then per accepted metadata entry. */
  keys: Uint32Array;
  /** The 1.0 WriteRequest field of each key, in key order (made when a message is assembled). */
  pieces: () => WirePieces;
  /** What each key carries (float samples, histograms, exemplars: three per key, 0 for metadata). */
  counts: Uint32Array;
  /**
   * The request itself as a 1.0 WriteRequest, when every key is in it unchanged: an ingester that
   * gets every key is sent these bytes as they are, with no message assembled.
   */
  whole?: Buffer;
}

/**
 * Ingesters refused part of a push (a 4xx) and stored the rest. `written` is what they stored:
 * each replica reports its count, and the push's is the request's scaled by the share the
 * replicas that reported stored (exact when they refuse the same samples, as out-of-order, too-old
 * and duplicate samples are; their average when not, as a series limit reached on one replica).
 */
export class PartialWriteError extends Error {
  readonly written: Written;
  constructor(cause: unknown, written: Written) {
    super('ingesters refused part of the push', { cause });
    this.name = 'PartialWriteError';
    this.written = written;
  }
}

/**
 * The Push messages the ingesters answered, stored in full or in part, summed only when a push
 * was refused in part: a successful push costs a list entry per message.
 */
class Tally {
  readonly #counts: Uint32Array;
  readonly #answered: { keys: readonly number[]; from: number; to: number; stored: Written | undefined }[] = [];

  constructor(counts: Uint32Array) {
    this.#counts = counts;
  }

  /** Message keys[from:to] was answered; `stored` undefined when it was stored whole. */
  add(keys: readonly number[], from: number, to: number, stored: Written | undefined): void {
    this.#answered.push({ keys, from, to, stored });
  }

  /** What the request carried (once), scaled by the share the answered messages stored. */
  written(): Written {
    const sent = { samples: 0, histograms: 0, exemplars: 0 };
    const stored = { samples: 0, histograms: 0, exemplars: 0 };
    for (const m of this.#answered) {
      const s = totals(this.#counts, m.keys, m.from, m.to);
      const got = m.stored ?? s;
      for (const k of kinds) {
        sent[k] += s[k];
        stored[k] += got[k];
      }
    }
    const all = totals(this.#counts);
    const w = { samples: 0, histograms: 0, exemplars: 0 };
    for (const k of kinds) w[k] = sent[k] === 0 ? 0 : Math.round((all[k] * stored[k]) / sent[k]);
    return w;
  }
}

const kinds = ['samples', 'histograms', 'exemplars'] as const;

const grpcStatusName = new Map<number, string>(Object.entries(grpcStatus).map(([k, v]) => [v as number, k]));

export interface SendDeps {
  pool: ClientPool<IngesterConn>;
  metrics: DistributorMetrics;
  timeout: number;
}

/**
 * Sends `a` to the ingesters; resolves when every key reached its quorum. Throws a
 * PartialWriteError, once every ingester answered, when they refused part of it as bad data.
 */
export async function sendToIngesters(ring: ReadRing, tenant: string, a: Accepted, deps: SendDeps): Promise<void> {
  const deadline = Date.now() + deps.timeout;
  const timeout = deadlineSignal(deps.timeout);
  const tally = new Tally(a.counts);
  let settled!: () => void;
  const allSettled = new Promise<void>((resolve) => (settled = resolve));
  try {
    await send(ring, tenant, a, deps, { deadline, signal: timeout.signal, tally, cleanup: settled });
  } catch (err) {
    const code = grpcCode(err);
    if (code === undefined || !isClientCode(code)) throw err;
    // The replicas still running are waited for (within their deadline): their counts are the answer's.
    await allSettled;
    throw new PartialWriteError(err, tally.written());
  } finally {
    timeout.dispose();
  }
}

interface SendCall {
  deadline: number;
  signal: AbortSignal;
  tally: Tally;
  cleanup: () => void;
}

function send(ring: ReadRing, tenant: string, a: Accepted, deps: SendDeps, call: SendCall): Promise<void> {
  return doBatch(
    ring,
    a.keys,
    async (inst, indexes) => {
      const conn = deps.pool.get(inst.addr);
      const whole = indexes.length === a.keys.length && a.whole !== undefined && a.whole.length <= conn.maxSendMsgSize ? a.whole : undefined;
      const messages = whole !== undefined ? [{ bytes: whole, from: 0, to: indexes.length }] : splitMessages(a, indexes, conn.maxSendMsgSize);
      deps.metrics.ingesterAppends.inc({ ingester: inst.addr, type: 'samples' }, messages.length);
      // Every series is in exactly one message, so the messages may go in parallel.
      await Promise.all(messages.map(async (m) => {
        try {
          await conn.pushRaw(tenant, m.bytes, { deadline: call.deadline });
          call.tally.add(indexes, m.from, m.to, undefined);
        } catch (err) {
          const code = grpcCode(err);
          deps.metrics.ingesterAppendFailures.inc({ ingester: inst.addr, type: 'samples', status: code === undefined ? 'unknown' : (grpcStatusName.get(code) ?? String(code)) });
          const stored = code !== undefined && isClientCode(code) ? writtenFromTrailers((err as ServiceError).metadata) : undefined;
          if (stored !== undefined) call.tally.add(indexes, m.from, m.to, stored);
          throw err;
        }
      }));
    },
    { op: Write, signal: call.signal, cleanup: call.cleanup },
  );
}

/** What keys[from:to] (every key when `keys` is absent) carry, by kind. */
function totals(counts: Uint32Array, keys?: readonly number[], from = 0, to = keys?.length ?? counts.length / 3): Written {
  const w = { samples: 0, histograms: 0, exemplars: 0 };
  for (let i = from; i < to; i++) {
    const k = keys === undefined ? i : keys[i];
    w.samples += counts[3 * k];
    w.histograms += counts[3 * k + 1];
    w.exemplars += counts[3 * k + 2];
  }
  return w;
}

/**
 * Cuts what one ingester gets into WriteRequests of at most `limit` bytes each (the client's max
 * send size, at or below the ingester's max receive size), so that a request the distributor
 * accepts (up to -distributor.max-recv-msg-size) is never refused by an ingester for its size.
 * Each message carries indexes[from:to].
 */
export function splitMessages(a: Accepted, indexes: readonly number[], limit: number): { bytes: Buffer; from: number; to: number }[] {
  const { bufs, from, to } = a.pieces();
  const out: { bytes: Buffer; from: number; to: number }[] = [];
  let m = { req: new RequestAssembler(), from: 0, to: 0 };
  const cut = (): void => void out.push({ bytes: m.req.finish(), from: m.from, to: m.to });
  for (let i = 0; i < indexes.length; i++) {
    const k = indexes[i];
    const n = to[k] - from[k];
    if (n > limit) throw new EntryTooLargeError(n, limit);
    if (m.req.size + n > limit) {
      cut();
      m = { req: new RequestAssembler(), from: i, to: i };
    }
    m.req.add(bufs[k], from[k], to[k]);
    m.to = i + 1;
  }
  if (m.req.size > 0) cut();
  return out;
}
