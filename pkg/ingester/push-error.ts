import { status } from '@grpc/grpc-js';
import type { AppendError } from '../tsdb/index.js';
import type { WrittenCounts } from './client/index.js';
import { SeriesLimitReason } from './limiter.js';
import type { Limiter } from './limiter.js';

/**
 * Why the ingester refused (part of) a push, with the gRPC code the distributor maps to HTTP:
 * INVALID_ARGUMENT (bad samples: 400), FAILED_PRECONDITION (tenant limits: 400 as in Cortex, since
 * retrying cannot help), UNAVAILABLE (this ingester cannot take writes now: 5xx, retried).
 * RESOURCE_EXHAUSTED is left to gRPC itself (a message over the server's receive limit), which
 * says nothing about the data: the distributor answers it 5xx.
 */
export class PushError extends Error {
  readonly code: status;
  /** What the push stored before being refused in part; undefined when it stored nothing. */
  written: WrittenCounts | undefined = undefined;

  constructor(code: status, message: string) {
    super(message);
    this.name = 'PushError';
    this.code = code;
  }

  /** This error, saying the push stored `w` nevertheless. */
  storing(w: WrittenCounts): this {
    this.written = w;
    return this;
  }

  static invalid(message: string): PushError {
    return new PushError(status.INVALID_ARGUMENT, message);
  }

  static limit(message: string): PushError {
    return new PushError(status.FAILED_PRECONDITION, message);
  }

  static unavailable(message: string): PushError {
    return new PushError(status.UNAVAILABLE, message);
  }

  /** The first refused sample of a push, named with the limit and tenant when a limit refused it. */
  static fromAppend(err: AppendError, tenant: string, limiter: Limiter): PushError {
    switch (err.code) {
      case SeriesLimitReason.PerUser:
        return PushError.limit(`per-user series limit of ${limiter.maxSeriesPerUser(tenant)} exceeded for tenant ${tenant}: ${err.message}`);
      case SeriesLimitReason.PerMetric:
        return PushError.limit(`per-metric series limit of ${limiter.maxSeriesPerMetric(tenant)} exceeded for tenant ${tenant}: ${err.message}`);
      default:
        return PushError.invalid(`${err.message} (tenant ${tenant})`);
    }
  }
}
