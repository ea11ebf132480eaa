import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Request metrics shared by the HTTP and gRPC servers, named as Cortex's. */
export class ServerMetrics {
  readonly requestDuration: Histogram<'method' | 'route' | 'status_code' | 'ws'>;
  readonly tenantRejections: Counter<'protocol' | 'reason'>;

  constructor(reg: Registry) {
    this.requestDuration = new Histogram({
      name: 'myelin_request_duration_seconds',
      help: 'Time (in seconds) spent serving HTTP and gRPC requests.',
      labelNames: ['method', 'route', 'status_code', 'ws'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100],
      registers: [reg],
    });
    this.tenantRejections = new Counter({
      name: 'myelin_tenant_rejected_requests_total',
      help: 'Requests rejected because their X-Scope-OrgID was missing or invalid.',
      labelNames: ['protocol', 'reason'],
      registers: [reg],
    });
  }
}

/** `/api/v1/push` → `api_v1_push`, Cortex's route label form. */
export function routeLabel(path: string): string {
  const label = path.replace(/^\//, '').replace(/[^a-zA-Z0-9_]+/g, '_').replace(/_+$/, '');
  return label === '' ? 'root' : label;
}
