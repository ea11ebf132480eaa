// gRPC between the threads of one process, without sockets (docs/architecture.md, "Process model:
// threads"). A query worker reads this process's own ingester and store-gateway through the very
// handlers the gRPC server runs (instrumented: same metrics, same tenant checks), over the
// worker's RpcChannel. Requests and responses cross as the bytes the service definition encodes,
// so both sides keep their types; what is skipped is HTTP/2 framing, grpc-js' call machinery and
// the loopback socket, on both threads.
//
// Supported: unary and server-streaming methods, metadata, deadlines, cancellation. A streaming
// handler's write() always reports room: the reader is a query worker that counts what arrives
// against the query's limits and cancels, which stops the handler's writes.
import { EventEmitter } from 'node:events';
import { Metadata, status } from '@grpc/grpc-js';
import type { MethodDefinition, ServiceDefinition, ServiceError, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { RemoteError, transferring, type RpcChannel } from '../workers/index.js';

interface CallMessage {
  id: number;
  path: string;
  request: Uint8Array;
  metadata: Record<string, string>;
  /** Epoch ms; Infinity when none. */
  deadline: number;
}

interface DataMessage {
  id: number;
  bytes: Uint8Array;
}

type AnyMethod = MethodDefinition<unknown, unknown>;

/** The process's gRPC handlers, served to other threads of the process. */
export class InProcessGrpcServer {
  readonly #methods = new Map<string, { def: AnyMethod; handler: UntypedHandleCall }>();
  readonly #addrs = new Set<string>();

  add(def: ServiceDefinition, impl: UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(def)) {
      if (method.requestStream) continue; // client streams (transfer) only ever come over the network
      this.#methods.set(method.path, { def: method as AnyMethod, handler: impl[name] });
    }
  }

  /** Says that the rings name this process's services `addr` (an ingester's or store-gateway's instance address). */
  advertise(addr: string): void {
    this.#addrs.add(addr);
  }

  /** Serves every handler to the thread at the other end of `rpc`, and tells it which addresses are this process. */
  serve(rpc: RpcChannel): void {
    rpc.notify('grpc.addrs', [...this.#addrs]);
    const calls = new Map<number, InProcessServerCall>();
    rpc.handle('grpc.call', (m) => this.#run(rpc, m as CallMessage, calls));
    rpc.handle('grpc.cancel', (id) => calls.get(id as number)?.cancel());
  }

  #run(rpc: RpcChannel, m: CallMessage, calls: Map<number, InProcessServerCall>): Promise<unknown> {
    const method = this.#methods.get(m.path);
    if (method === undefined) return Promise.reject(grpcError(status.UNIMPLEMENTED, `method ${m.path} is not served in process`));
    const { def, handler } = method;
    const call = new InProcessServerCall(def.requestDeserialize(asBuffer(m.request)), toMetadata(m.metadata), m.deadline);
    calls.set(m.id, call);
    return new Promise<unknown>((resolve, reject) => {
      const fail = (err: Partial<ServiceError>): void => reject(grpcError(err.code ?? status.UNKNOWN, err.details ?? err.message ?? 'unknown error'));
      if (!def.responseStream) {
        (handler as unknown as (c: InProcessServerCall, cb: (err: Partial<ServiceError> | null, v?: unknown) => void) => void)(call, (err, value) => {
          if (err) return fail(err);
          const bytes = ownedCopy(def.responseSerialize(value));
          resolve(transferring(bytes, [bytes.buffer]));
        });
        return;
      }
      call.send = (msg) => {
        const bytes = ownedCopy(def.responseSerialize(msg));
        rpc.notify('grpc.data', { id: m.id, bytes } satisfies DataMessage, [bytes.buffer]);
      };
      call.once('finish', () => resolve(undefined));
      call.once('error', fail);
      call.once('cancelled', () => resolve(undefined));
      (handler as unknown as (c: InProcessServerCall) => void)(call);
    }).finally(() => calls.delete(m.id));
  }
}

/** What a handler sees of its call: the subset of grpc-js' server call that Myelin's handlers use. */
class InProcessServerCall extends EventEmitter {
  readonly request: unknown;
  readonly metadata: Metadata;
  cancelled = false;
  #ended = false;
  readonly #deadline: number;
  send: (msg: unknown) => void = () => {};

  constructor(request: unknown, metadata: Metadata, deadline: number) {
    super();
    this.request = request;
    this.metadata = metadata;
    this.#deadline = deadline;
  }

  getDeadline(): number {
    return this.#deadline;
  }

  getPeer(): string {
    return 'in-process';
  }

  write(msg: unknown): boolean {
    if (!this.cancelled && !this.#ended) this.send(msg);
    return true;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.emit('finish');
  }

  cancel(): void {
    if (this.cancelled || this.#ended) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

type UnaryCallback = (err: ServiceError | null, value?: unknown) => void;

/**
 * A client thread's side: clients shaped like grpc-js' generated clients (the methods Myelin
 * calls: generated unary and server-streaming methods, makeUnaryRequest, makeServerStreamRequest,
 * waitForReady, close) whose calls go to the InProcessGrpcServer across `rpc`.
 */
export class InProcessGrpcClients {
  readonly #rpc: RpcChannel;
  readonly #streams = new Map<number, InProcessClientStream>();
  #addrs = new Set<string>();
  #nextId = 1;

  /** Make it before the thread handles its first message: the server sends the addresses it serves first. */
  constructor(rpc: RpcChannel) {
    this.#rpc = rpc;
    rpc.handle('grpc.addrs', (addrs) => {
      this.#addrs = new Set(addrs as string[]);
    });
    rpc.handle('grpc.data', (m) => {
      const d = m as DataMessage;
      this.#streams.get(d.id)?.receive(d.bytes);
    });
  }

  /** Whether `addr` names a service of the other thread's process (then use client()). */
  serves(addr: string): boolean {
    return this.#addrs.has(addr);
  }

  /** A client of `def` as the generated constructor's instances look; cast it to that type. */
  client(def: ServiceDefinition): unknown {
    const c: Record<string, unknown> = {
      makeUnaryRequest: this.#unary,
      makeServerStreamRequest: this.#serverStream,
      waitForReady: (_deadline: unknown, cb: (err?: Error) => void) => queueMicrotask(() => cb()),
      close: () => {},
    };
    for (const [name, method] of Object.entries(def)) {
      if (method.requestStream) continue;
      const m = method as AnyMethod;
      c[name] = m.responseStream
        ? (arg: unknown, md?: Metadata, opts?: { deadline?: Date | number }) => this.#serverStream(m.path, m.requestSerialize, m.responseDeserialize, arg, md, opts)
        : (arg: unknown, md: Metadata | UnaryCallback, opts?: { deadline?: Date | number } | UnaryCallback, cb?: UnaryCallback) =>
          this.#unary(m.path, m.requestSerialize, m.responseDeserialize, arg, md, opts, cb);
    }
    return c;
  }

  #message(path: string, serialize: (v: unknown) => Buffer, arg: unknown, md: Metadata | undefined, deadline: number): { m: CallMessage; transfer: ArrayBuffer[] } {
    const request = ownedCopy(serialize(arg));
    const metadata: Record<string, string> = {};
    if (md !== undefined) for (const [k, v] of Object.entries(md.getMap())) metadata[k] = v.toString();
    return { m: { id: this.#nextId++, path, request, metadata, deadline }, transfer: [request.buffer] };
  }

  readonly #unary = (path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, arg: unknown,
    mdOrCb: Metadata | UnaryCallback, optsOrCb?: { deadline?: Date | number } | UnaryCallback, maybeCb?: UnaryCallback): void => {
    const cb = [maybeCb, optsOrCb, mdOrCb].find((x): x is UnaryCallback => typeof x === 'function') as UnaryCallback;
    const md = mdOrCb instanceof Metadata ? mdOrCb : undefined;
    const deadline = deadlineOf(typeof optsOrCb === 'object' ? optsOrCb : undefined);
    const { m, transfer } = this.#message(path, serialize, arg, md, deadline);
    const timer = deadline !== Infinity ? setTimeout(() => finish(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')), Math.max(0, deadline - Date.now())) : undefined;
    let done = false;
    const finish = (err: ServiceError | null, value?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err !== null) this.#rpc.notify('grpc.cancel', m.id);
      cb(err, value);
    };
    this.#rpc.call<Uint8Array>('grpc.call', m, transfer).then(
      (bytes) => finish(null, deserialize(asBuffer(bytes))),
      (err: unknown) => finish(serviceError(err)),
    );
  };

  readonly #serverStream = (path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, arg: unknown,
    md?: Metadata, opts?: { deadline?: Date | number }): InProcessClientStream => {
    const deadline = deadlineOf(opts);
    const { m, transfer } = this.#message(path, serialize, arg, md, deadline);
    const stream = new InProcessClientStream(deserialize, () => {
      this.#streams.delete(m.id);
      this.#rpc.notify('grpc.cancel', m.id);
    });
    this.#streams.set(m.id, stream);
    const timer = deadline !== Infinity ? setTimeout(() => stream.fail(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')), Math.max(0, deadline - Date.now())) : undefined;
    this.#rpc.call('grpc.call', m, transfer).then(
      () => stream.finish(),
      (err: unknown) => stream.fail(serviceError(err)),
    ).finally(() => {
      clearTimeout(timer);
      this.#streams.delete(m.id);
    });
    return stream;
  };
}

/** A server stream as grpc-js' ClientReadableStream emits it: 'data'*, then 'end' or 'error'. */
class InProcessClientStream extends EventEmitter {
  readonly #deserialize: (b: Buffer) => unknown;
  readonly #onCancel: () => void;
  #done = false;

  constructor(deserialize: (b: Buffer) => unknown, onCancel: () => void) {
    super();
    this.#deserialize = deserialize;
    this.#onCancel = onCancel;
  }

  receive(bytes: Uint8Array): void {
    if (!this.#done) this.emit('data', this.#deserialize(asBuffer(bytes)));
  }

  finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.emit('end');
  }

  fail(err: ServiceError): void {
    if (this.#done) return;
    this.#done = true;
    this.#onCancel();
    this.emit('error', err);
  }

  cancel(): void {
    this.fail(grpcError(status.CANCELLED, 'Cancelled on client'));
  }
}

function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

/** The ServiceError a failed in-process call carries back (its code and details survive the thread hop). */
function serviceError(err: unknown): ServiceError {
  if (err instanceof RemoteError && typeof err.fields.code === 'number') {
    return grpcError(err.fields.code, typeof err.fields.details === 'string' ? err.fields.details : err.message);
  }
  return grpcError(status.INTERNAL, (err as Error).message);
}

function deadlineOf(opts: { deadline?: Date | number } | undefined): number {
  const d = opts?.deadline;
  return d === undefined ? Infinity : typeof d === 'number' ? d : d.getTime();
}

function toMetadata(m: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(m)) md.set(k, v);
  return md;
}

/**
 * The bytes in an ArrayBuffer of their own, which can be transferred: encoders return views into
 * shared pools, and structured clone would copy a view's whole backing buffer.
 */
function ownedCopy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
