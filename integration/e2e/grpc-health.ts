// A grpc.health.v1 check of a process's gRPC port with a client's TLS options, for tests of server
// TLS: what a querier's store-gateway client would get.
import { Metadata } from '@grpc/grpc-js';
import { defaults } from '../../pkg/flagext/index.js';
import { HealthCheckResponse_ServingStatus, HealthClient, type HealthCheckResponse } from '../../pkg/generated/grpc/health/v1/health.js';
import { querierConfig } from '../../pkg/querier/index.js';
import { grpcClientCredentials } from '../../pkg/tls/index.js';

export type ClientTls = Partial<ReturnType<typeof defaults<typeof querierConfig>>['storeGatewayClient']>;

/** The serving status (`SERVING` ...), or `error` when the call fails (refused, handshake, deadline). */
export function grpcHealthCheck(port: number, tls: ClientTls): Promise<string> {
  const { creds, options } = grpcClientCredentials({ ...defaults(querierConfig).storeGatewayClient, ...tls });
  const client = new HealthClient(`127.0.0.1:${port}`, creds, options);
  return new Promise<string>((resolve) => {
    client.check({ service: '' }, new Metadata(), { deadline: Date.now() + 5000 }, (err: Error | null, res?: HealthCheckResponse) => {
      client.close();
      resolve(err !== null ? 'error' : HealthCheckResponse_ServingStatus[res?.status ?? 0]);
    });
  });
}
