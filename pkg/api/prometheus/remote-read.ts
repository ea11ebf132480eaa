// Prometheus remote read (POST /api/v1/read): a snappy-compressed ReadRequest in; per query, the
// matching series of the tenant's Queryable (ingesters and store-gateways, within the query
// limits), answered as a snappy-compressed ReadResponse (SAMPLES) or as ChunkedReadResponse frames
// of XOR and histogram chunks (STREAMED_XOR_CHUNKS), the first type the client accepts. Native
// histograms are answered as Prometheus answers them: `histograms` of a series, histogram chunks. Runs where the other API
// requests run: a query worker.
import { ReadRequest, ReadRequest_ResponseType, ReadResponse, ChunkedReadResponse, type QueryResult } from '../../generated/prometheus/remote.js';
import type { ChunkedSeries, Histogram, Label, Sample } from '../../generated/prometheus/types.js';
import { QueryLimitError, type QueryLimiter } from '../../limits/index.js';
import type { Labels } from '../../model/labels/index.js';
import { ErrorType, QueryError } from '../../promql/index.js';
import { ValueType, type SampleIterator } from '../../storage/index.js';
import { ChunkBuilder } from '../../tsdb/block/index.js';
import { crc32c } from '../../tsdb/encoding/index.js';
import { histogramToWire, matchersFromWire, snappyDecode, snappyEncode, WireError } from '../../wire/index.js';
import { writeVarint } from '../../wire/index.js';
import type { ApiAnswer, ApiBackend, ApiRequest } from './execute.js';

/** Largest decoded ReadRequest taken (Prometheus sends a few matchers per query). */
const maxRequestBytes = 32 << 20;

/**
 * Chunk bytes after which a series' frame is cut and its further chunks go in the next frame:
 * Prometheus' default --storage.remote.read-max-bytes-in-frame, which its readers expect.
 */
export const maxBytesInFrame = 1 << 20;

export const streamedContentType = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

/**
 * The answer to a remote read; QueryError and QueryLimitError propagate to the caller's error
 * answer. With `sink`, STREAMED_XOR_CHUNKS frames go to it as they are made, 0.5 to 1.5 MiB at a
 * time, and the answer's body is empty; an error after the first write must cut the stream.
 */
export async function remoteRead(req: ApiRequest, b: ApiBackend, limiter: QueryLimiter, signal: AbortSignal | undefined, sink?: (bytes: Uint8Array) => void): Promise<ApiAnswer> {
  const rr = decodeRequest(req.body);
  const streamed = rr.acceptedResponseTypes.length > 0 && rr.acceptedResponseTypes[0] === ReadRequest_ResponseType.STREAMED_XOR_CHUNKS;
  const frames = new FrameBuffer(sink);
  const results: QueryResult[] = [];
  // A SAMPLES answer is one message, made in memory: bounded like a PromQL query's samples, as
  // Prometheus bounds it (--storage.remote.read-sample-limit, the same 5e7 by default).
  const sampleLimit = b.engine.opts.maxSamples;
  let samplesAnswered = 0;
  for (let qi = 0; qi < rr.queries.length; qi++) {
    const q = rr.queries[qi];
    let matchers;
    try {
      matchers = matchersFromWire(q.matchers);
    } catch (err) {
      throw new QueryError(ErrorType.BadData, `remote read query ${qi}: ${(err as Error).message}`);
    }
    const start = q.startTimestampMs;
    const end = q.endTimestampMs;
    const h = q.hints;
    const querier = await b.queryable(req.tenant, limiter).querier(start, end);
    const timeseries: QueryResult['timeseries'] = [];
    try {
      // Not the labels-only read the series API hint asks for: a remote-read answer leaves out series
      // without samples in the range, so the reader's series API needs them read.
      const func = h === undefined || h.func === 'series' ? '' : h.func;
      const set = querier.select({ start, end, step: h?.stepMs ?? 0, func, range: h?.rangeMs ?? 0, sortSeries: true }, ...matchers);
      let it: SampleIterator | undefined;
      while (await set.next()) {
        if (signal?.aborted) throw new QueryError(ErrorType.Canceled, 'remote read was canceled');
        const s = set.at();
        it = s.iterator(it);
        const labels = wireLabels(s.labels);
        if (streamed) {
          for (const chunks of framed(labels, chunksOf(it, start, end, s.labels))) frames.add(frame(ChunkedReadResponse.encode({ chunkedSeries: [{ labels, chunks }], queryIndex: qi }).finish()));
        } else {
          const { samples, histograms } = samplesOf(it, start, end);
          samplesAnswered += samples.length + histograms.length;
          if (samplesAnswered > sampleLimit) throw new QueryError(ErrorType.BadData, `remote read: exceeded sample limit (${sampleLimit}, -querier.max-samples); ask for STREAMED_XOR_CHUNKS or a shorter range`);
          if (samples.length > 0 || histograms.length > 0) timeseries.push({ labels, samples, exemplars: [], histograms });
        }
        const err = it.err();
        if (err !== undefined) throw new QueryError(ErrorType.Execution, `remote read: ${err.message}`, { cause: err });
      }
      const err = set.err();
      if (err instanceof QueryLimitError || err instanceof QueryError) throw err;
      if (err !== undefined) throw new QueryError(ErrorType.Execution, `remote read: select series: ${err.message}`, { cause: err });
    } finally {
      await querier.close();
    }
    results.push({ timeseries });
  }
  if (streamed) return { status: 200, body: frames.rest(), headers: { 'content-type': streamedContentType } };
  const body = snappyEncode(Buffer.from(ReadResponse.encode({ results }).finish()));
  return { status: 200, body, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' } };
}

function decodeRequest(body: Uint8Array | undefined): ReadRequest {
  if (body === undefined || body.length === 0) throw new QueryError(ErrorType.BadData, 'remote read: empty body, expected a snappy-compressed prometheus.ReadRequest');
  try {
    return ReadRequest.decode(snappyDecode(Buffer.from(body.buffer, body.byteOffset, body.byteLength), maxRequestBytes));
  } catch (err) {
    const what = err instanceof WireError ? err.message : `invalid prometheus.ReadRequest: ${(err as Error).message}`;
    throw new QueryError(ErrorType.BadData, `remote read: ${what}`);
  }
}

function wireLabels(ls: Labels): Label[] {
  const out: Label[] = [];
  ls.forEach((name, value) => out.push({ name, value }));
  return out;
}

/** The float and histogram samples of `it` within [start, end]. */
function samplesOf(it: SampleIterator, start: number, end: number): { samples: Sample[]; histograms: Histogram[] } {
  const samples: Sample[] = [];
  const histograms: Histogram[] = [];
  for (let vt = it.seek(start); vt !== ValueType.None; vt = it.next()) {
    const t = it.atT();
    if (t > end) break;
    if (vt === ValueType.Float) samples.push({ timestamp: t, value: it.atV() });
    else if (vt === ValueType.Histogram) histograms.push(histogramToWire({ t, h: it.atHistogram(), fh: undefined }));
    else histograms.push(histogramToWire({ t, h: undefined, fh: it.atFloatHistogram() }));
  }
  return { samples, histograms };
}

/**
 * The samples of `it` within [start, end] as chunks cut as the TSDB cuts them (XOR, histogram and
 * float histogram chunks; the TSDB's encoding numbers are remote read's Chunk.Encoding).
 */
function chunksOf(it: SampleIterator, start: number, end: number, labels: Labels): ChunkedSeries['chunks'] {
  const b = new ChunkBuilder();
  for (let vt = it.seek(start); vt !== ValueType.None; vt = it.next()) {
    if (it.atT() > end) break;
    b.appendFrom(it, vt);
  }
  const c = b.finish(labels);
  return c.bytes.map((data, k) => ({ minTimeMs: c.minTs[k], maxTimeMs: c.maxTs[k], type: c.encodings[k], data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }));
}

/**
 * Bytes of frames after which they go to the sink: half a frame's limit, so a long series' frames
 * go out one or two at a time and small series' in batches (a write crosses threads).
 */
const flushBytes = maxBytesInFrame / 2;

/** Frames kept for the answer's body, or, with a sink, written to it whenever they pass flushBytes. */
class FrameBuffer {
  readonly #sink: ((bytes: Uint8Array) => void) | undefined;
  #frames: Buffer[] = [];
  #bytes = 0;

  constructor(sink: ((bytes: Uint8Array) => void) | undefined) {
    this.#sink = sink;
  }

  add(f: Buffer): void {
    this.#frames.push(f);
    this.#bytes += f.length;
    if (this.#sink !== undefined && this.#bytes >= flushBytes) this.#flush(this.#sink);
  }

  /** What is left for the answer's body: everything without a sink, nothing with one (flushed). */
  rest(): Buffer {
    if (this.#sink !== undefined) {
      this.#flush(this.#sink);
      return Buffer.alloc(0);
    }
    return Buffer.concat(this.#frames);
  }

  #flush(sink: (bytes: Uint8Array) => void): void {
    if (this.#bytes > 0) sink(Buffer.concat(this.#frames, this.#bytes));
    this.#frames = [];
    this.#bytes = 0;
  }
}

/** An upper bound of a Chunk message's bytes besides its data: field tags, two timestamps, type, lengths. */
const chunkOverhead = 32;

/**
 * A series' chunks cut into the frames that carry them, as Prometheus cuts them: a frame ends with
 * the chunk that takes it past maxBytesInFrame (labels included), so it is at most one chunk over.
 */
function framed(labels: readonly Label[], chunks: ChunkedSeries['chunks']): ChunkedSeries['chunks'][] {
  const labelBytes = labels.reduce((n, l) => n + Buffer.byteLength(l.name) + Buffer.byteLength(l.value) + 8, 0);
  const out: ChunkedSeries['chunks'][] = [];
  let from = 0;
  let bytes = labelBytes;
  for (let k = 0; k < chunks.length; k++) {
    bytes += chunks[k].data.length + chunkOverhead;
    if (bytes < maxBytesInFrame && k < chunks.length - 1) continue;
    out.push(chunks.slice(from, k + 1));
    from = k + 1;
    bytes = labelBytes;
  }
  return out;
}

/** One frame of Prometheus' chunked stream: uvarint length, CRC-32C (big-endian) of the message, the message. */
function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(10 + 4 + msg.length);
  let at = writeVarint(out, 0, msg.length);
  out.writeUInt32BE(crc32c(msg) >>> 0, at);
  at += 4;
  out.set(msg, at);
  return out.subarray(0, at + msg.length);
}
