// The body of an OTLP/HTTP metrics export: an ExportMetricsServiceRequest as protobuf or as
// OTLP/JSON, optionally gzipped. The decompressed size is held to the same maximum as the body
// (-distributor.max-recv-msg-size), so a small gzip bomb cannot fill the memory.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ExportMetricsServiceRequest } from '../generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import { WireError, WireErrorCode } from '../wire/index.js';

const gunzipAsync = promisify(gunzip);

/** The two encodings OTLP/HTTP defines, named by their Content-Type. */
export type OtlpFormat = 'protobuf' | 'json';

export async function decodeOtlpBody(body: Buffer, format: OtlpFormat, gzipped: boolean, maxSize: number): Promise<ExportMetricsServiceRequest> {
  const raw = gzipped ? await gunzipBounded(body, maxSize) : body;
  if (format === 'protobuf') {
    try {
      return ExportMetricsServiceRequest.decode(raw);
    } catch (err) {
      throw new WireError(WireErrorCode.BadProtobuf, `invalid protobuf: not an OTLP ExportMetricsServiceRequest: ${(err as Error).message}`);
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new WireError(WireErrorCode.BadJson, `invalid JSON body: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new WireError(WireErrorCode.BadJson, 'invalid OTLP/JSON body: expected an ExportMetricsServiceRequest object');
  try {
    base64Ids(doc);
    return ExportMetricsServiceRequest.fromJSON(doc);
  } catch (err) {
    // A timestamp or count that is not an integer, for one (BigInt refuses it).
    throw new WireError(WireErrorCode.BadJson, `invalid OTLP/JSON body: ${(err as Error).message}`);
  }
}

async function gunzipBounded(body: Buffer, maxSize: number): Promise<Buffer> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxSize });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new WireError(WireErrorCode.TooLarge, `gzip body decompresses to more than ${maxSize} bytes (-distributor.max-recv-msg-size)`);
    }
    throw new WireError(WireErrorCode.BadGzip, `invalid gzip body: ${(err as Error).message}`);
  }
}

type Json = Record<string, unknown>;
const dataKinds = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'exponential_histogram', 'summary'];
const idKeys = ['traceId', 'trace_id', 'spanId', 'span_id'];

/**
 * OTLP/JSON writes exemplars' trace and span ids in hex, where the protobuf JSON mapping (and so
 * the generated fromJSON) reads bytes as base64: rewrite them in place.
 */
function base64Ids(doc: object): void {
  const list = (o: unknown, ...keys: string[]): Json[] => {
    if (o === null || typeof o !== 'object') return [];
    for (const k of keys) if (Array.isArray((o as Json)[k])) return ((o as Json)[k] as unknown[]).filter((x): x is Json => x !== null && typeof x === 'object');
    return [];
  };
  for (const rm of list(doc, 'resourceMetrics', 'resource_metrics')) {
    for (const sm of list(rm, 'scopeMetrics', 'scope_metrics')) {
      for (const m of list(sm, 'metrics')) {
        for (const kind of dataKinds) {
          for (const p of list(m[kind], 'dataPoints', 'data_points')) {
            for (const e of list(p, 'exemplars')) {
              for (const k of idKeys) if (typeof e[k] === 'string' && /^[0-9a-fA-F]*$/.test(e[k])) e[k] = Buffer.from(e[k], 'hex').toString('base64');
            }
          }
        }
      }
    }
  }
}
