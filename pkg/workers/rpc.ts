// Request/response calls between threads over one message port (a Worker, its parentPort or a
// MessagePort). Each call carries an id; the answer carries it back with the result or a plain
// description of the error, since structured clone keeps neither an Error's class nor its own
// fields reliably.
import type { Transferable } from 'node:worker_threads';

/** The part of Worker / MessagePort / parentPort that a channel needs. */
export interface Port {
  postMessage(value: unknown, transferList?: readonly Transferable[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

/** A handler's answer: the value, and the buffers to hand over instead of copying. */
export interface Reply {
  value: unknown;
  transfer?: readonly Transferable[];
}

export type Handler = (args: unknown) => unknown;

/** An error thrown by the other side, with its name, message and own string/number fields. */
export class RemoteError extends Error {
  readonly fields: Readonly<Record<string, string | number>>;
  constructor(name: string, message: string, fields: Record<string, string | number>) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

type Msg =
  | { rpc: 'call'; id: number; method: string; args: unknown }
  | { rpc: 'notify'; method: string; args: unknown }
  | { rpc: 'ok'; id: number; value: unknown }
  | { rpc: 'err'; id: number; name: string; message: string; fields: Record<string, string | number> };

const replyTag = Symbol('reply');

export class RpcChannel {
  readonly #port: Port;
  readonly #handlers = new Map<string, Handler>();
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;

  constructor(port: Port) {
    this.#port = port;
    port.on('message', (m) => this.#receive(m as Msg));
  }

  /** Serves `method`. A handler may return a value, a promise, or `transferring(value, buffers)`. */
  handle(method: string, fn: Handler): void {
    this.#handlers.set(method, fn);
  }

  call<T>(method: string, args: unknown, transfer?: readonly Transferable[]): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#port.postMessage({ rpc: 'call', id, method, args } satisfies Msg, transfer);
    });
  }

  /** A one-way message: no answer, errors of its handler are dropped on the other side. */
  notify(method: string, args: unknown, transfer?: readonly Transferable[]): void {
    this.#port.postMessage({ rpc: 'notify', method, args } satisfies Msg, transfer);
  }

  /** Rejects every call still waiting (the other side is gone). */
  failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #receive(m: Msg): void {
    switch (m.rpc) {
      case 'call':
        this.#serve(m.id, m.method, m.args);
        return;
      case 'notify':
        try {
          void Promise.resolve(this.#handlers.get(m.method)?.(m.args)).catch(() => {});
        } catch {
          // A notification has nobody to tell.
        }
        return;
      case 'ok':
      case 'err': {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if (m.rpc === 'ok') p.resolve(m.value);
        else p.reject(new RemoteError(m.name, m.message, m.fields));
      }
    }
  }

  #serve(id: number, method: string, args: unknown): void {
    const fn = this.#handlers.get(method);
    const run = async (): Promise<unknown> => {
      if (fn === undefined) throw new Error(`BUG: no handler for ${method}`);
      return fn(args);
    };
    run().then(
      (res) => {
        const r = isReply(res) ? res : { value: res };
        this.#port.postMessage({ rpc: 'ok', id, value: r.value } satisfies Msg, r.transfer);
      },
      (err: unknown) => this.#port.postMessage({ rpc: 'err', id, ...describe(err) } satisfies Msg),
    );
  }
}

/** Marks a handler result as a Reply carrying buffers to transfer. */
export function transferring(value: unknown, transfer: readonly Transferable[]): Reply {
  return { value, transfer, [replyTag]: true } as Reply;
}

function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && replyTag in v;
}

function describe(err: unknown): { name: string; message: string; fields: Record<string, string | number> } {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(err)) if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  return { name: err.name, message: err.message, fields };
}
