// Calls to the Prometheus HTTP API as one tenant: every request carries X-Scope-OrgID, and an answer
// is either data with its warnings and infos, or the API's error text.

export interface Metric {
  [label: string]: string;
}

export type Sample = [number, string];

export type QueryData =
  | { resultType: 'vector'; result: { metric: Metric; value: Sample }[] }
  | { resultType: 'matrix'; result: { metric: Metric; values: Sample[] }[] }
  | { resultType: 'scalar'; result: Sample }
  | { resultType: 'string'; result: Sample };

export interface Answer<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

/** An error answer of the API (or of the network), with the status and errorType when there was one. */
export class ApiError extends Error {
  constructor(message: string, readonly status?: number, readonly errorType?: string) {
    super(message);
  }
}

interface Envelope<T> {
  status?: string;
  data?: T;
  error?: string;
  errorType?: string;
  warnings?: string[];
  infos?: string[];
}

export class PrometheusApi {
  /** `base` is the API's path, e.g. `/prometheus/api/v1`; `tenant` is sent on every call ('' sends none). */
  constructor(readonly base: string, readonly tenant: string) {}

  headers(): Headers {
    const h = new Headers();
    if (this.tenant !== '') h.set('X-Scope-OrgID', this.tenant);
    return h;
  }

  instant(expr: string, time: Date): Promise<Answer<QueryData>> {
    return this.post('/query', { query: expr, time: seconds(time) });
  }

  range(expr: string, start: Date, end: Date, stepSeconds: number): Promise<Answer<QueryData>> {
    return this.post('/query_range', { query: expr, start: seconds(start), end: seconds(end), step: String(stepSeconds) });
  }

  async post<T>(path: string, form: Record<string, string>, signal?: AbortSignal): Promise<Answer<T>> {
    const headers = this.headers();
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    let res: Response;
    try {
      res = await fetch(this.base + path, { method: 'POST', headers, body: new URLSearchParams(form), signal });
    } catch (err) {
      throw new ApiError(`request failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: Envelope<T>;
    try {
      body = JSON.parse(text) as Envelope<T>;
    } catch {
      throw new ApiError(`HTTP ${res.status}: ${text.trim() || res.statusText}`, res.status);
    }
    if (body.status !== 'success' || body.data === undefined) {
      throw new ApiError(body.error ?? `HTTP ${res.status}`, res.status, body.errorType);
    }
    return { data: body.data, warnings: body.warnings ?? [], infos: body.infos ?? [] };
  }
}

function seconds(d: Date): string {
  return (d.getTime() / 1000).toFixed(3);
}

/** `name{a="b", c="d"}` as Prometheus prints a series. */
export function seriesName(m: Metric): string {
  const name = m.__name__ ?? '';
  const labels = Object.entries(m)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return labels.length === 0 && name !== '' ? name : `${name}{${labels.join(', ')}}`;
}
