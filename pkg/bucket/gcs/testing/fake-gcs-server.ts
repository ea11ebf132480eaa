// A local HTTP server speaking the part of the Google Cloud Storage JSON API that
// @google-cloud/storage uses for our Bucket: multipart and resumable uploads, media downloads with
// Range, object metadata, list with prefix/delimiter/pagination, delete. It holds objects in memory.
// It exists because no real GCS is reachable from where the tests run; it is not a full emulator
// (no ACLs, preconditions, generations beyond a counter, or auth).
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  data: Buffer;
  updated: Date;
  generation: number;
}

interface UploadSession {
  bucket: string;
  name: string;
  parts: Buffer[];
  received: number;
}

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) as GCS reports it: big-endian, base64. */
function crc32c(data: Buffer): string {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

export class FakeGcsServer {
  private readonly server: http.Server;
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly sessions = new Map<string, UploadSession>();
  private nextId = 1;
  /** Requests served, by `METHOD kind` (e.g. `POST multipart`), for tests asserting which paths ran. */
  readonly requests = new Map<string, number>();

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (err) {
          sendError(res, 500, String(err));
        }
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** `http://127.0.0.1:<port>`, the apiEndpoint to hand to the client. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private count(kind: string): void {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1);
  }

  private objects(bucket: string): Map<string, StoredObject> {
    let m = this.buckets.get(bucket);
    if (m === undefined) this.buckets.set(bucket, (m = new Map()));
    return m;
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const q = url.searchParams;
    if (upload && req.method === 'POST' && q.get('uploadType') === 'multipart') return this.multipart(req, decodeURIComponent(upload[1]), q, body, res);
    if (upload && req.method === 'POST' && q.get('uploadType') === 'resumable') return this.startResumable(req, decodeURIComponent(upload[1]), q, body, res);
    if (upload && req.method === 'PUT' && q.has('upload_id')) return this.putResumable(req, q.get('upload_id') as string, body, res);
    if (list && req.method === 'GET') return this.list(decodeURIComponent(list[1]), q, res);
    if (object) {
      const bucket = decodeURIComponent(object[1]);
      const name = decodeURIComponent(object[2]);
      if (req.method === 'GET' && q.get('alt') === 'media') return this.media(req, bucket, name, res);
      if (req.method === 'GET') return this.metadata(bucket, name, res);
      if (req.method === 'DELETE') return this.remove(bucket, name, res);
    }
    sendError(res, 400, `fake GCS does not support ${req.method} ${url.pathname}`);
  }

  private store(bucket: string, name: string, data: Buffer): StoredObject {
    const obj = { data, updated: new Date(), generation: this.nextId++ };
    this.objects(bucket).set(name, obj);
    return obj;
  }

  private multipart(req: http.IncomingMessage, bucket: string, q: URLSearchParams, body: Buffer, res: http.ServerResponse): void {
    this.count('POST multipart');
    const boundary = /boundary=("?)([^";]+)\1/.exec(req.headers['content-type'] ?? '')?.[2];
    if (boundary === undefined) return sendError(res, 400, 'multipart upload without boundary');
    const parts = splitMultipart(body, boundary);
    if (parts.length !== 2) return sendError(res, 400, `multipart upload with ${parts.length} parts, want 2`);
    const meta = JSON.parse(parts[0].toString() || '{}') as { name?: string };
    const name = q.get('name') ?? meta.name;
    if (name === undefined || name === null) return sendError(res, 400, 'upload without an object name');
    sendJson(res, 200, resource(bucket, name, this.store(bucket, name, parts[1])));
  }

  private startResumable(req: http.IncomingMessage, bucket: string, q: URLSearchParams, body: Buffer, res: http.ServerResponse): void {
    this.count('POST resumable');
    const meta = body.length > 0 ? (JSON.parse(body.toString()) as { name?: string }) : {};
    const name = q.get('name') ?? meta.name;
    if (name === undefined || name === null) return sendError(res, 400, 'upload without an object name');
    const id = `session-${this.nextId++}`;
    this.sessions.set(id, { bucket, name, parts: [], received: 0 });
    const host = req.headers.host ?? '127.0.0.1';
    res.writeHead(200, { location: `http://${host}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${id}` });
    res.end();
  }

  /**
   * One PUT of a resumable session. Content-Range is `bytes S-E/T` (a chunk; the last when E+1=T),
   * `bytes S-E/*` (a chunk, more to come), `bytes S-*\/*` (the rest of the stream in this request)
   * or `bytes *\/T` (a status query). Incomplete sessions answer 308 with the bytes received.
   */
  private putResumable(req: http.IncomingMessage, id: string, body: Buffer, res: http.ServerResponse): void {
    this.count('PUT resumable');
    const s = this.sessions.get(id);
    if (s === undefined) return sendError(res, 404, `no upload session ${id}`);
    const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(req.headers['content-range'] ?? 'bytes 0-*/*');
    if (m === null) return sendError(res, 400, `bad content-range ${req.headers['content-range']}`);
    if (m[2] !== undefined) {
      const start = Number(m[2]);
      if (start !== s.received) return sendError(res, 400, `chunk starts at ${start}, have ${s.received}`);
      s.parts.push(body);
      s.received += body.length;
    }
    const total = m[4] === '*' ? (m[3] === '*' ? s.received : undefined) : Number(m[4]);
    if (total === undefined || s.received < total) {
      res.writeHead(308, s.received > 0 ? { range: `bytes=0-${s.received - 1}` } : {});
      return void res.end();
    }
    this.sessions.delete(id);
    sendJson(res, 200, resource(s.bucket, s.name, this.store(s.bucket, s.name, Buffer.concat(s.parts))));
  }

  private media(req: http.IncomingMessage, bucket: string, name: string, res: http.ServerResponse): void {
    this.count('GET media');
    const obj = this.objects(bucket).get(name);
    if (obj === undefined) return sendError(res, 404, `No such object: ${bucket}/${name}`);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = { 'content-type': 'application/octet-stream', 'x-goog-generation': String(obj.generation) };
    if (range === null) {
      res.writeHead(200, { ...headers, 'x-goog-hash': `crc32c=${crc32c(obj.data)},md5=${md5(obj.data)}` });
      return void res.end(obj.data);
    }
    const start = Number(range[1]);
    const end = range[2] === '' ? obj.data.length - 1 : Math.min(Number(range[2]), obj.data.length - 1);
    if (start >= obj.data.length) return sendError(res, 416, 'The requested range cannot be satisfied.');
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${obj.data.length}` });
    res.end(obj.data.subarray(start, end + 1));
  }

  private metadata(bucket: string, name: string, res: http.ServerResponse): void {
    this.count('GET metadata');
    const obj = this.objects(bucket).get(name);
    if (obj === undefined) return sendError(res, 404, `No such object: ${bucket}/${name}`);
    sendJson(res, 200, resource(bucket, name, obj));
  }

  private remove(bucket: string, name: string, res: http.ServerResponse): void {
    this.count('DELETE');
    if (!this.objects(bucket).delete(name)) return sendError(res, 404, `No such object: ${bucket}/${name}`);
    res.writeHead(204);
    res.end();
  }

  /** Objects and (with a delimiter) prefixes, in name order; the page token is the last entry returned. */
  private list(bucket: string, q: URLSearchParams, res: http.ServerResponse): void {
    this.count('GET list');
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const max = Number(q.get('maxResults') ?? 1000);
    const after = q.get('pageToken') ?? '';
    const entries = new Map<string, { prefix: boolean; name: string }>();
    for (const name of this.objects(bucket).keys()) {
      if (!name.startsWith(prefix)) continue;
      const cut = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length);
      const key = cut < 0 ? name : name.slice(0, cut + delimiter.length);
      entries.set(key, { prefix: cut >= 0, name: key });
    }
    const sorted = [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).filter((e) => e.name > after);
    const page = sorted.slice(0, max);
    const out: Record<string, unknown> = {
      kind: 'storage#objects',
      items: page.filter((e) => !e.prefix).map((e) => resource(bucket, e.name, this.objects(bucket).get(e.name) as StoredObject)),
      prefixes: page.filter((e) => e.prefix).map((e) => e.name),
    };
    if (sorted.length > page.length) out.nextPageToken = page[page.length - 1].name;
    sendJson(res, 200, out);
  }
}

function resource(bucket: string, name: string, obj: StoredObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${obj.generation}`,
    name,
    bucket,
    generation: String(obj.generation),
    metageneration: '1',
    size: String(obj.data.length),
    updated: obj.updated.toISOString(),
    timeCreated: obj.updated.toISOString(),
    md5Hash: md5(obj.data),
    crc32c: crc32c(obj.data),
    contentType: 'application/octet-stream',
  };
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    parts.push(headerEnd < 0 ? Buffer.alloc(0) : part.subarray(headerEnd + 4));
    pos = next;
  }
  return parts;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': data.length });
  res.end(data);
}

function sendError(res: http.ServerResponse, code: number, message: string): void {
  sendJson(res, code, { error: { code, message, errors: [{ message, reason: code === 404 ? 'notFound' : 'invalid' }] } });
}
