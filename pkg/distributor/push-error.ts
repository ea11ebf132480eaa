// How a push's failure is answered (Cortex distributor + httpgrpc): 400 for data Prometheus must
// drop, 429 for rate limits, 202 for samples of a non-elected HA replica, 5xx for failures worth
// retrying.
import { status as grpcStatus } from '@grpc/grpc-js';
import { EmptyRingError, TooFewHealthyInstancesError } from '../ring/index.js';
import { WireError, WireErrorCode } from '../wire/index.js';
import { ValidationError } from './discard.js';
import { ReplicasNotMatchError } from './ha-tracker.js';

/** Rejected by a rate limit: HTTP 429, Prometheus retries later. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited';
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** One series (or metadata entry) larger than a whole Push message may be: no split can send it. */
export class EntryTooLargeError extends Error {
  constructor(bytes: number, limit: number) {
    super(`a series of ${bytes} bytes is larger than the largest message sent to an ingester, ${limit} bytes (-ingester.client.grpc-max-send-msg-size)`);
    this.name = 'EntryTooLargeError';
  }
}

/**
 * gRPC codes an ingester uses for data it refuses (validation, per-tenant limits): HTTP 400.
 * RESOURCE_EXHAUSTED is not one: gRPC itself answers it for a message over a size limit, which
 * says nothing about the data, so Prometheus must retry rather than drop it.
 */
const clientCodes = new Set<number>([
  grpcStatus.INVALID_ARGUMENT, grpcStatus.FAILED_PRECONDITION, grpcStatus.OUT_OF_RANGE, grpcStatus.ALREADY_EXISTS,
]);

/** What a push wrote (sent to the ingesters and acknowledged), by kind: remote write 2.0's response headers. */
export interface Written {
  samples: number;
  histograms: number;
  exemplars: number;
}

export interface PushAnswer {
  status: number;
  message: string;
  /** Absent when nothing was written. */
  written?: Written;
  /** On a 400: the series (indexes in the request) refused by validation. */
  refusedSeries?: readonly number[];
}

/** Whether an ingester's gRPC code says it refused the data (HTTP 400). */
export function isClientCode(code: number): boolean {
  return clientCodes.has(code);
}

export function answerFor(err: unknown): PushAnswer {
  if (err instanceof ValidationError) return { status: 400, message: err.message };
  if (err instanceof RateLimitedError) return { status: 429, message: err.message };
  if (err instanceof ReplicasNotMatchError) return { status: 202, message: err.message };
  if (err instanceof WireError) return { status: err.code === WireErrorCode.TooLarge ? 413 : 400, message: err.message };
  if (err instanceof EntryTooLargeError) return { status: 413, message: err.message };
  if (err instanceof TooFewHealthyInstancesError || err instanceof EmptyRingError) return { status: 503, message: `ingester ring: ${err.message}` };
  if (err instanceof Error && err.name === 'TimeoutError') return { status: 504, message: 'push to ingesters timed out (-distributor.remote-timeout)' };
  const code = grpcCode(err);
  if (code !== undefined) {
    const details = (err as { details?: string }).details ?? (err as Error).message;
    if (clientCodes.has(code)) return { status: 400, message: details };
    if (code === grpcStatus.DEADLINE_EXCEEDED) return { status: 504, message: `push to ingester timed out: ${details}` };
    if (code === grpcStatus.UNAVAILABLE) return { status: 503, message: `ingester unavailable: ${details}` };
    if (code === grpcStatus.RESOURCE_EXHAUSTED) {
      return { status: 500, message: `ingester refused the push message: ${details} (keep -ingester.client.grpc-max-send-msg-size at or below the ingesters' -server.grpc-max-recv-msg-size-bytes)` };
    }
    return { status: 500, message: `push to ingester: ${details}` };
  }
  return { status: 500, message: err instanceof Error ? err.message : String(err) };
}

/** The gRPC status code of an error from a call, if it is one. */
export function grpcCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' && 'details' in err ? c : undefined;
}
