// gRPC within one process, without sockets (docs/architecture.md, "Process model: threads"). A
// query worker reads this process's own ingester and store-gateway, and the distributor pushes to
// the process's own ingester (in its thread or in shard threads), through the very handlers the
// gRPC server runs (instrumented: same metrics, same tenant checks). Requests and responses are
// the bytes the service definition encodes, so both sides keep their types; what is skipped is
// HTTP/2 framing, grpc-js' call machinery and the loopback socket. Across threads the bytes travel
// over an RpcChannel in ArrayBuffers of their own, handed over; within a thread the handler is
// called directly with the caller's bytes.
//
// Supported: unary and server-streaming methods, metadata, deadlines, cancellation, status codes.
// A streaming handler's write() always reports room: the readers (query workers) count what
// arrives against the query's limits and cancel, which stops the handler's writes.
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

/** How a client's calls reach an InProcessGrpcServer. */
export interface Transport {
  serves(addr: string): boolean;
  /** Runs call `m`; stream messages go to `onData`; resolves with a unary call's answer. */
  call(m: CallMessage, onData: (bytes: Uint8Array) => void): Promise<Uint8Array | undefined>;
  cancel(id: number): void;
}

/** The process's gRPC handlers, served to callers in the same process. */
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

  /**
   * Serves every handler to the thread at the other end of `rpc`, and tells it first which
   * addresses are this process. Resolves once that thread knows them (messages on one channel
   * keep their order, but the ring may tell it of this process's address on another channel).
   */
  serve(rpc: RpcChannel): Promise<void> {
    const known = rpc.call<void>('grpc.addrs', [...this.#addrs]);
    const calls = new Map<number, InProcessServerCall>();
    rpc.handle('grpc.call', async (msg) => {
      const m = msg as CallMessage;
      const onData = (b: Uint8Array): void => {
        const bytes = ownedCopy(b);
        rpc.notify('grpc.data', { id: m.id, bytes } satisfies DataMessage, [bytes.buffer]);
      };
      const answer = await this.#run(m, onData, calls);
      if (answer === undefined) return undefined;
      const bytes = ownedCopy(answer);
      return transferring(bytes, [bytes.buffer]);
    });
    rpc.handle('grpc.cancel', (id) => calls.get(id as number)?.cancel());
    return known;
  }

  /** Clients in this thread: the handlers are called directly, with the caller's bytes. */
  clients(): InProcessGrpcClients {
    const calls = new Map<number, InProcessServerCall>();
    return new InProcessGrpcClients({
      serves: (addr) => this.#addrs.has(addr),
      call: (m, onData) => this.#run(m, onData, calls),
      cancel: (id) => calls.get(id)?.cancel(),
    });
  }

  #run(m: CallMessage, onData: (bytes: Uint8Array) => void, calls: Map<number, InProcessServerCall>): Promise<Uint8Array | undefined> {
    const method = this.#methods.get(m.path);
    if (method === undefined) return Promise.reject(grpcError(status.UNIMPLEMENTED, `method ${m.path} is not served in process`));
    const { def, handler } = method;
    const call = new InProcessServerCall(def.requestDeserialize(asBuffer(m.request)), toMetadata(m.metadata), m.deadline);
    calls.set(m.id, call);
    return new Promise<Uint8Array | undefined>((resolve, reject) => {
      const fail = (err: Partial<ServiceError>): void => reject(grpcError(err.code ?? status.UNKNOWN, err.details ?? err.message ?? 'unknown error', err.metadata));
      if (!def.responseStream) {
        (handler as unknown as (c: InProcessServerCall, cb: (err: Partial<ServiceError> | null, v?: unknown) => void) => void)(call, (err, value) => {
          if (err) fail(err);
          else resolve(def.responseSerialize(value));
        });
        return;
      }
      call.send = (msg) => onData(def.responseSerialize(msg));
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
type CallOptions = { deadline?: Date | number };

/**
 * The caller's side: clients shaped like grpc-js' generated clients (the methods Myelin calls:
 * generated unary and server-streaming methods, makeUnaryRequest, makeServerStreamRequest,
 * waitForReady, close) whose calls go to an InProcessGrpcServer, in another thread
 * (`new InProcessGrpcClients(rpc)`) or in this one (`server.clients()`).
 */
export class InProcessGrpcClients {
  readonly #transport: Transport;
  #nextId = 1;

  /**
   * Over `rpc` to the server that serve()s its other end. Make it before the thread handles its
   * first message: the server sends the addresses it serves first.
   */
  constructor(rpc: RpcChannel);
  constructor(transport: Transport);
  constructor(via: RpcChannel | Transport) {
    this.#transport = 'serves' in via ? via : channelTransport(via);
  }

  /** Whether `addr` names a service of the server's process (then use client()). */
  serves(addr: string): boolean {
    return this.#transport.serves(addr);
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
        ? (arg: unknown, md?: Metadata, opts?: CallOptions) => this.#serverStream(m.path, m.requestSerialize, m.responseDeserialize, arg, md, opts)
        : (arg: unknown, md: Metadata | UnaryCallback, opts?: CallOptions | UnaryCallback, cb?: UnaryCallback) =>
          this.#unary(m.path, m.requestSerialize, m.responseDeserialize, arg, md, opts, cb);
    }
    return c;
  }

  #message(path: string, serialize: (v: unknown) => Buffer, arg: unknown, md: Metadata | undefined, deadline: number): CallMessage {
    const metadata: Record<string, string> = {};
    if (md !== undefined) for (const [k, v] of Object.entries(md.getMap())) metadata[k] = v.toString();
    return { id: this.#nextId++, path, request: serialize(arg), metadata, deadline };
  }

  readonly #unary = (path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, arg: unknown,
    mdOrCb: Metadata | UnaryCallback, optsOrCb?: CallOptions | UnaryCallback, maybeCb?: UnaryCallback): void => {
    const cb = [maybeCb, optsOrCb, mdOrCb].find((x): x is UnaryCallback => typeof x === 'function') as UnaryCallback;
    const deadline = deadlineOf(typeof optsOrCb === 'object' ? optsOrCb : undefined);
    const m = this.#message(path, serialize, arg, mdOrCb instanceof Metadata ? mdOrCb : undefined, deadline);
    let done = false;
    const finish = (err: ServiceError | null, value?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err !== null) this.#transport.cancel(m.id);
      cb(err, value);
    };
    const timer = deadline !== Infinity ? setTimeout(() => finish(deadlineExceeded()), Math.max(0, deadline - Date.now())) : undefined;
    this.#transport.call(m, () => {}).then(
      (bytes) => finish(null, deserialize(asBuffer(bytes ?? new Uint8Array(0)))),
      (err: unknown) => finish(serviceError(err)),
    );
  };

  readonly #serverStream = (path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, arg: unknown,
    md?: Metadata, opts?: CallOptions): InProcessClientStream => {
    const deadline = deadlineOf(opts);
    const m = this.#message(path, serialize, arg, md, deadline);
    const stream = new InProcessClientStream(() => this.#transport.cancel(m.id));
    const timer = deadline !== Infinity ? setTimeout(() => stream.fail(deadlineExceeded()), Math.max(0, deadline - Date.now())) : undefined;
    // Started after the caller has attached its listeners: a handler in this thread may write at once.
    queueMicrotask(() => {
      if (stream.done) return; // cancelled before it started
      this.#transport.call(m, (bytes) => stream.receive(deserialize(asBuffer(bytes)))).then(
        () => stream.finish(),
        (err: unknown) => stream.fail(serviceError(err)),
      ).finally(() => clearTimeout(timer));
    });
    return stream;
  };
}

/** Calls to the InProcessGrpcServer that serve()s the other end of `rpc`. */
function channelTransport(rpc: RpcChannel): Transport {
  let addrs = new Set<string>();
  const streams = new Map<number, (bytes: Uint8Array) => void>();
  rpc.handle('grpc.addrs', (a) => {
    addrs = new Set(a as string[]);
  });
  rpc.handle('grpc.data', (msg) => {
    const d = msg as DataMessage;
    streams.get(d.id)?.(d.bytes);
  });
  return {
    serves: (addr) => addrs.has(addr),
    call: (m, onData) => {
      const request = ownedCopy(m.request);
      streams.set(m.id, onData);
      return rpc.call<Uint8Array | undefined>('grpc.call', { ...m, request }, [request.buffer]).finally(() => streams.delete(m.id));
    },
    cancel: (id) => {
      streams.delete(id);
      rpc.notify('grpc.cancel', id);
    },
  };
}

/** A server stream as grpc-js' ClientReadableStream emits it: 'data'*, then 'end' or 'error'. */
class InProcessClientStream extends EventEmitter {
  readonly #onCancel: () => void;
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  constructor(onCancel: () => void) {
    super();
    this.#onCancel = onCancel;
  }

  receive(msg: unknown): void {
    if (!this.#done) this.emit('data', msg);
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

/**
 * A failed call's error. Its trailers are also a JSON string field, `trailers`, because only an
 * error's string and number fields survive a thread hop (RemoteError).
 */
function grpcError(code: status, details: string, trailers?: Metadata): ServiceError {
  const metadata = trailers ?? new Metadata();
  const err = Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
  const map = metadata.getMap();
  return Object.keys(map).length === 0 ? err : Object.assign(err, { trailers: JSON.stringify(map) });
}

function deadlineExceeded(): ServiceError {
  return grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded');
}

/** The ServiceError a failed call carries back (its code and details survive a thread hop). */
function serviceError(err: unknown): ServiceError {
  if (err instanceof RemoteError && typeof err.fields.code === 'number') {
    const trailers = typeof err.fields.trailers === 'string' ? toMetadata(JSON.parse(err.fields.trailers) as Record<string, string>) : undefined;
    return grpcError(err.fields.code, typeof err.fields.details === 'string' ? err.fields.details : err.message, trailers);
  }
  if (err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number') return err as ServiceError;
  return grpcError(status.INTERNAL, (err as Error).message);
}

function deadlineOf(opts: CallOptions | undefined): number {
  const d = opts?.deadline;
  return d === undefined ? Infinity : typeof d === 'number' ? d : d.getTime();
}

function toMetadata(m: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries(m)) md.set(k, v);
  return md;
}

/**
 * The bytes in an ArrayBuffer of their own, which can be handed to another thread: encoders return
 * views into shared pools, and structured clone would copy a view's whole backing buffer.
 */
function ownedCopy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
