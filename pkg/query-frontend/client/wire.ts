// API requests and answers as they travel between a query-frontend and its queriers.
import type { ApiAnswer, ApiOp, ApiRequest } from '../../api/prometheus/index.js';
import type { QueryRequest, QueryResponse } from '../../generated/myelin/frontend.js';

export function requestToWire(req: ApiRequest): QueryRequest {
  return {
    op: req.op,
    tenant: req.tenant,
    paramsJson: JSON.stringify(req.params),
    labelName: req.labelName,
    now: req.now,
    deadline: req.deadline ?? 0,
    body: req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
  };
}

/** The request a querier runs; throws on parameters that are not the JSON requestToWire makes. */
export function requestFromWire(m: QueryRequest): ApiRequest {
  const params = JSON.parse(m.paramsJson) as unknown;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new Error('query request: params_json is not a JSON object');
  return {
    op: m.op as ApiOp,
    tenant: m.tenant,
    params: params as ApiRequest['params'],
    labelName: m.labelName,
    now: m.now,
    deadline: m.deadline === 0 ? undefined : m.deadline,
    body: m.body.length === 0 ? undefined : m.body,
  };
}

export function answerToWire(a: ApiAnswer): QueryResponse {
  return {
    status: a.status,
    body: typeof a.body === 'string' ? Buffer.from(a.body) : a.body,
    errorType: a.errorType ?? '',
    error: a.error ?? '',
    headers: a.headers ?? {},
    stats: a.stats,
  };
}

export function answerFromWire(m: QueryResponse): ApiAnswer {
  return {
    status: m.status,
    body: Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength),
    errorType: m.errorType === '' ? undefined : m.errorType,
    error: m.error === '' ? undefined : m.error,
    headers: Object.keys(m.headers).length === 0 ? undefined : m.headers,
    stats: m.stats,
  };
}
