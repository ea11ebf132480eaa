// OTLP/HTTP metrics receiver (the OTLP specification's "OTLP/HTTP" section): POST an
// ExportMetricsServiceRequest as application/x-protobuf or application/json, optionally gzipped;
// the answer is encoded as the request was. Success is 200 with an ExportMetricsServiceResponse,
// whose partial_success names the data points refused when only some were; a request refused as
// a whole gets a google.rpc.Status with a 4xx (never retried) or a retryable 429/502/503/504.
import { status as grpcStatus } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExportMetricsServiceResponse } from '../generated/opentelemetry/proto/collector/metrics/v1/metrics_service.js';
import type { Distributor } from './distributor.js';
import type { TenantOf } from './http.js';
import type { OtlpFormat } from './otlp-request.js';
import type { Translated } from './otlp-translate.js';
import type { PushAnswer } from './push-error.js';

const contentTypes: Record<string, OtlpFormat> = { 'application/x-protobuf': 'protobuf', 'application/json': 'json' };

/** The POST handler of /otlp/v1/metrics. */
export function otlpHandler(d: Distributor, tenantOf: TenantOf) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const tenant = tenantOf(req);
    const format = formatOf(req);
    if (format === undefined) return otlpRefusal(req, reply, 415, `unsupported Content-Type ${JSON.stringify(mediaType(req))}: expected application/x-protobuf or application/json (OTLP/HTTP)`);
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'gzip' && encoding !== 'identity') return sendOtlpStatus(reply, format, 415, `unsupported Content-Encoding ${JSON.stringify(encoding)}: expected gzip or none`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { answer, translated } = await d.pushOtlp(tenant, body, format, encoding === 'gzip');
    if (answer.status >= 400 && answer.status < 500) req.log.debug({ tenant, status: answer.status, msg: answer.message }, 'otlp push rejected');
    return respond(reply, format, answer, translated);
  };
}

/** The OTLP encoding of a request, from its Content-Type; undefined when it is neither. */
function formatOf(req: FastifyRequest): OtlpFormat | undefined {
  return contentTypes[mediaType(req)];
}

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** A request refused before its handler ran (a body over the limit), answered as OTLP answers: a Status in the request's encoding. */
export function otlpRefusal(req: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  // An unknown Content-Type is answered in protobuf, the OTLP default.
  return sendOtlpStatus(reply, formatOf(req) ?? 'protobuf', status, message);
}

/**
 * Turns the distributor's answer into OTLP's: the data points refused are those the translation
 * could not express, those of the series validation refused, and one per sample the ingesters
 * refused (out of order, too old, a series limit; a point may have made several series, so this
 * is an upper bound, capped at the points received). When some were accepted (or none was sent)
 * it is a 200, with partial_success when some were refused; when none was, a 400 Status.
 */
function respond(reply: FastifyReply, format: OtlpFormat, answer: PushAnswer, t: Translated | undefined) {
  const ok = answer.status === 200 || answer.status === 202;
  if (t === undefined || !(ok || answer.status === 400)) return sendOtlpStatus(reply, format, answer.status, answer.message);
  const refusedPoints = new Set<number>();
  let refusedSamples = 0;
  for (const i of answer.refusedSeries ?? []) {
    if (t.pointOf[i] >= 0) refusedPoints.add(t.pointOf[i]);
    refusedSamples += samplesOf(t.write.timeseries[i]);
  }
  const byIngesters = answer.status === 400 ? Math.max(0, unwritten(t, answer) - refusedSamples) : 0;
  const rejected = Math.min(t.points, t.rejected + refusedPoints.size + byIngesters);
  const message = answer.status === 400 ? answer.message : t.firstError;
  if (rejected > 0 && rejected === t.points) return sendOtlpStatus(reply, format, 400, message);
  const res: ExportMetricsServiceResponse = {
    partialSuccess: rejected === 0 ? undefined : { rejectedDataPoints: BigInt(rejected), errorMessage: message },
  };
  if (format === 'json') return reply.code(200).type('application/json').send(JSON.stringify(ExportMetricsServiceResponse.toJSON(res)));
  return reply.code(200).type('application/x-protobuf').send(Buffer.from(ExportMetricsServiceResponse.encode(res).finish()));
}

function samplesOf(s: { samples: readonly unknown[]; histograms: readonly unknown[] }): number {
  return s.samples.length + s.histograms.length;
}

/** Samples and histograms of the translated request not stored (a 400 that says nothing was written: all). */
function unwritten(t: Translated, answer: PushAnswer): number {
  const w = answer.written;
  return t.write.timeseries.reduce((n, s) => n + samplesOf(s), 0) - (w === undefined ? 0 : w.samples + w.histograms);
}

/** A google.rpc.Status answer (OTLP's error body) with the gRPC code of the HTTP status. */
function sendOtlpStatus(reply: FastifyReply, format: OtlpFormat, status: number, message: string) {
  const code = status === 429 ? grpcStatus.RESOURCE_EXHAUSTED
    : status === 503 || status === 502 ? grpcStatus.UNAVAILABLE
      : status === 504 ? grpcStatus.DEADLINE_EXCEEDED
        : status >= 500 ? grpcStatus.INTERNAL : grpcStatus.INVALID_ARGUMENT;
  if (format === 'json') return reply.code(status).type('application/json').send(JSON.stringify({ code, message }));
  // google.rpc.Status { int32 code = 1; string message = 2; }
  const bytes = new BinaryWriter().uint32(8).int32(code).uint32(18).string(message).finish();
  return reply.code(status).type('application/x-protobuf').send(Buffer.from(bytes));
}
