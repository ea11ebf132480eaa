import { status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus } from '../generated/grpc/health/v1/health.js';
import type { HealthCheckRequest, HealthCheckResponse } from '../generated/grpc/health/v1/health.js';

/**
 * grpc.health.v1.Health/Check: the empty service name asks about the whole process (serving once
 * every module is Running); a named service (e.g. `myelin.ingester.Ingester`) asks whether that
 * component takes requests now. Unknown names answer NOT_FOUND, as the protocol says.
 */
export function healthService(checks: ReadonlyMap<string, () => boolean>): UntypedServiceImplementation {
  return {
    check(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, cb: sendUnaryData<HealthCheckResponse>) {
      const check = checks.get(call.request.service);
      if (check === undefined) {
        cb({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        return;
      }
      cb(null, { status: check() ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING });
    },
  };
}
