/**
 * A test exporter of native histograms in the protobuf exposition format Prometheus 2.42 asks for
 * with --enable-feature=native-histograms (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited`): each MetricFamily message is
 * preceded by its length as a varint. The messages are encoded by hand here (client_model
 * metrics.proto field numbers), so the test depends on nothing but the wire format.
 */
import { createServer, type Server } from 'node:http';
import type { FloatHistogram, Histogram, Span } from '../../pkg/model/histogram/index.js';

export const ProtobufContentType = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** One exposed histogram series: integer (deltas) or float (counts), counter or gauge. */
export interface ExposedHistogram {
  name: string;
  gauge: boolean;
  float: boolean;
  h: Histogram | FloatHistogram;
}

class ProtoWriter {
  readonly #bytes: number[] = [];

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.#bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.#bytes.push(Number(x));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  uint(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  sint(field: number, v: number): this {
    const z = v >= 0 ? BigInt(v) * 2n : -BigInt(v) * 2n - 1n;
    return this.tag(field, 0).varint(z);
  }

  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.tag(field, 1);
    this.#bytes.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.#bytes.push(...b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

function spans(w: ProtoWriter, field: number, list: readonly Span[]): void {
  for (const s of list) w.bytes(field, new ProtoWriter().sint(1, s.offset).uint(2, s.length).finish());
}

function histogramMessage(e: ExposedHistogram): Uint8Array {
  const h = e.h;
  const w = new ProtoWriter();
  if (e.float) w.double(4, h.count);
  else w.uint(1, h.count);
  w.double(2, h.sum);
  w.sint(5, h.schema);
  w.double(6, h.zeroThreshold);
  if (e.float) w.double(8, h.zeroCount);
  else w.uint(7, h.zeroCount);
  spans(w, 9, h.negativeSpans);
  for (const v of h.negativeBuckets) {
    if (e.float) w.double(11, v);
    else w.sint(10, v);
  }
  spans(w, 12, h.positiveSpans);
  for (const v of h.positiveBuckets) {
    if (e.float) w.double(14, v);
    else w.sint(13, v);
  }
  return w.finish();
}

/** One length-delimited MetricFamily with one metric carrying an explicit timestamp. */
export function encodeFamily(e: ExposedHistogram, timestampMs: number): Uint8Array {
  const metric = new ProtoWriter().bytes(7, histogramMessage(e)).uint(6, timestampMs).finish();
  const family = new ProtoWriter()
    .string(1, e.name)
    .string(2, `test histogram ${e.name}`)
    .uint(3, e.gauge ? 5 : 4)
    .bytes(4, metric)
    .finish();
  return Buffer.concat([new ProtoWriter().varint(family.length).finish(), family]);
}

/**
 * Serves `next(scrape)` to every scrape, stamped with the time of the scrape; remembers what it
 * served so the test can compare.
 */
export async function startExporter(
  next: (scrape: number) => ExposedHistogram[] | undefined,
): Promise<{ server: Server; port: number; served: { t: number; e: ExposedHistogram }[] }> {
  const served: { t: number; e: ExposedHistogram }[] = [];
  let scrape = 0;
  const server = createServer((_req, res) => {
    const list = next(scrape++) ?? [];
    const t = Date.now();
    const body = Buffer.concat(list.map((e) => encodeFamily(e, t)));
    for (const e of list) served.push({ t, e });
    res.writeHead(200, { 'Content-Type': ProtobufContentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, served };
}
