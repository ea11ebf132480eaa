// Request/response and one-way notices over a MessagePort or a Worker: the small protocol the
// main thread and its worker threads speak (the ingester shards, the memory KV bridge).
import type { Transferable } from 'node:worker_threads';

/** Either end of a channel: a MessagePort, a Worker, or a worker's parentPort. */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly Transferable[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

/** Answers one op; what it returns (or resolves to) is sent back, structured-cloned. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RpcHandler = (arg: any) => unknown;

/** An error thrown by a handler on the other side, with its name and `code` kept. */
export class RemoteError extends Error {
  readonly code: unknown;
  constructor(e: WireError, op: string) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.stack = `${e.name}: ${e.message} (in ${op} on the other thread)\n${e.stack ?? ''}`;
  }
}

interface WireError {
  message: string;
  name: string;
  code?: unknown;
  stack?: string;
}

type Message =
  | { rpc: 'req'; id: number; op: string; arg: unknown }
  | { rpc: 'res'; id: number; value?: unknown; error?: WireError }
  | { rpc: 'note'; op: string; arg: unknown };

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * One end of the conversation. Calls are answered in any order (each carries an id); notices are
 * delivered in the order they were sent, interleaved with answers as they were posted. Messages
 * that are not this protocol's are ignored, so a port can carry other traffic too.
 */
export class PortRpc {
  readonly #port: PortLike;
  readonly #handlers: Record<string, RpcHandler>;
  readonly #pending = new Map<number, Pending>();
  readonly #onMessage = (m: unknown) => this.#receive(m as Message);
  #nextId = 1;
  #closed: Error | undefined;

  constructor(port: PortLike, handlers: Record<string, RpcHandler>) {
    this.#port = port;
    this.#handlers = handlers;
    port.on('message', this.#onMessage);
  }

  /** Calls `op` on the other side; rejects with its error (a RemoteError) or when the channel closes. */
  call<R>(op: string, arg?: unknown, transfer?: readonly Transferable[]): Promise<R> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      this.#port.postMessage({ rpc: 'req', id, op, arg } satisfies Message, transfer);
    });
  }

  /** Sends `op` without waiting for an answer; the other side's handler result is dropped. */
  notify(op: string, arg?: unknown, transfer?: readonly Transferable[]): void {
    if (this.#closed === undefined) this.#port.postMessage({ rpc: 'note', op, arg } satisfies Message, transfer);
  }

  /** Stops listening and rejects every call in flight, and every later one, with `err` (the other side is gone). */
  close(err: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = err;
    this.#port.off('message', this.#onMessage);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #receive(m: Message): void {
    if (m === null || typeof m !== 'object' || !('rpc' in m)) return;
    if (m.rpc === 'res') {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.error !== undefined) p.reject(new RemoteError(m.error, p.op));
      else p.resolve(m.value);
      return;
    }
    const handler = Object.hasOwn(this.#handlers, m.op) ? this.#handlers[m.op] : undefined;
    const run = async () => {
      if (handler === undefined) throw new Error(`BUG: no handler for ${JSON.stringify(m.op)}`);
      return handler(m.arg);
    };
    const answered = run();
    if (m.rpc === 'note') {
      answered.catch((err: unknown) => queueMicrotask(() => { throw err; }));
      return;
    }
    const reply = (msg: Message) => {
      if (this.#closed === undefined) this.#port.postMessage(msg);
    };
    answered.then(
      (value) => reply({ rpc: 'res', id: m.id, value }),
      (err: unknown) => reply({ rpc: 'res', id: m.id, error: toWire(err) }),
    );
  }
}

function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { message: String(err), name: 'Error' };
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return { message: err.message + cause, name: err.name, code: (err as { code?: unknown }).code, stack: err.stack };
}
