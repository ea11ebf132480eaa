import { status } from '@grpc/grpc-js';
import type {
  MethodDefinition, ServerUnaryCall, ServerWritableStream, ServerReadableStream, ServerDuplexStream,
  ServiceDefinition, UntypedServiceImplementation, sendUnaryData, UntypedHandleCall,
} from '@grpc/grpc-js';
import { TenantError, orgIdFromMetadata } from '../tenant/index.js';
import type { TenantResolver } from '../tenant/index.js';
import type { ServerMetrics } from './metrics.js';
import { failStream } from './stream-error.js';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>
  | ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

export interface GrpcServiceOptions {
  /** Calls without a valid tenant in their metadata are refused before the handler runs. */
  requireTenant: boolean;
  /** Methods (as named in the implementation) that act on no tenant's behalf, e.g. AllUserStats. */
  tenantExempt?: readonly string[];
}

/**
 * Wraps every handler of a gRPC service so that each call is timed in
 * `myelin_request_duration_seconds{method="gRPC",route="/pkg.Service/Method"}` and, when the service
 * needs one, refused without a valid tenant (UNAUTHENTICATED when missing, INVALID_ARGUMENT when bad).
 */
export function instrumentService(def: ServiceDefinition, impl: UntypedServiceImplementation, metrics: ServerMetrics,
  tenants: TenantResolver, opts: GrpcServiceOptions): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(def)) {
    const handler = impl[name];
    if (handler === undefined) throw new Error(`BUG: gRPC method ${method.path} has no handler`);
    const needsTenant = opts.requireTenant && !(opts.tenantExempt ?? []).includes(name);
    out[name] = wrap(method, handler, metrics, tenants, needsTenant);
  }
  return out;
}

function wrap(method: MethodDefinition<unknown, unknown>, handler: UntypedHandleCall, metrics: ServerMetrics,
  tenants: TenantResolver, needsTenant: boolean): UntypedHandleCall {
  const observe = (start: bigint, code: string) => metrics.requestDuration.observe(
    { method: 'gRPC', route: method.path, status_code: code, ws: 'false' },
    Number(process.hrtime.bigint() - start) / 1e9);
  const tenantProblem = (call: AnyCall) => {
    if (!needsTenant) return undefined;
    try {
      tenants.tenant(orgIdFromMetadata(call.metadata));
      return undefined;
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      metrics.tenantRejections.inc({ protocol: 'grpc', reason: err.code });
      return { code: err.code === 'missing' ? status.UNAUTHENTICATED : status.INVALID_ARGUMENT, details: err.message };
    }
  };
  if (!method.responseStream) {
    // Unary and client-streaming calls answer through a callback.
    return ((call: AnyCall, callback: sendUnaryData<unknown>) => {
      const start = process.hrtime.bigint();
      const problem = tenantProblem(call);
      if (problem !== undefined) {
        observe(start, 'error');
        callback(problem);
        return;
      }
      (handler as (c: AnyCall, cb: sendUnaryData<unknown>) => void)(call, (err, value, trailer, flags) => {
        observe(start, err ? 'error' : 'success');
        callback(err, value, trailer, flags);
      });
    }) as UntypedHandleCall;
  }
  return ((call: ServerWritableStream<unknown, unknown>) => {
    const start = process.hrtime.bigint();
    const problem = tenantProblem(call);
    if (problem !== undefined) {
      observe(start, 'error');
      failStream(call, problem);
      return;
    }
    let done = false;
    const finish = (code: string) => {
      if (done) return;
      done = true;
      observe(start, code);
    };
    call.once('finish', () => finish('success'));
    call.once('error', () => finish('error'));
    call.once('cancelled', () => finish('cancel'));
    (handler as (c: AnyCall) => void)(call);
  }) as UntypedHandleCall;
}
