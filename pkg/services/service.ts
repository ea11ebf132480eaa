/**
 * A long-lived component with one lifecycle, after dskit's services package:
 *
 *   New ──startAsync──▶ Starting ──▶ Running ──stopAsync──▶ Stopping ──▶ Terminated
 *                          │            │                       │
 *                          └────────────┴──── failure ─────────▶┴──▶ Failed
 *
 * `starting` does the I/O needed to become ready, `running` lives until its signal aborts (returning
 * early means "stop"), `stopping` cleans up. A failure in any of them ends in Failed.
 */
export type State = 'New' | 'Starting' | 'Running' | 'Stopping' | 'Terminated' | 'Failed';

export interface Service {
  readonly name: string;
  state(): State;
  /** Moves New → Starting. Throws unless the service is New. Returns at once. */
  startAsync(): void;
  /** Resolves when Running; rejects if the service can no longer reach Running. */
  awaitRunning(signal?: AbortSignal): Promise<void>;
  /** Idempotent. A New service goes straight to Terminated. */
  stopAsync(): void;
  /** Resolves on Terminated, rejects with failureCase() on Failed. */
  awaitTerminated(signal?: AbortSignal): Promise<void>;
  failureCase(): Error | undefined;
  /** Called on every state change, after the change. */
  addListener(fn: (from: State, to: State) => void): void;
}

export interface ServiceFns {
  /** I/O to become ready. Its signal aborts if stopAsync() is called meanwhile. */
  starting?(signal: AbortSignal): Promise<void>;
  /** The service's life. Must return soon after `signal` aborts. Returning early means "stop". */
  running?(signal: AbortSignal): Promise<void>;
  /** Cleanup; receives the failure of starting or running, if any. */
  stopping?(failure: Error | undefined): Promise<void>;
}

const transitions: Record<State, readonly State[]> = {
  New: ['Starting', 'Terminated'],
  Starting: ['Running', 'Stopping', 'Failed'],
  Running: ['Stopping'],
  Stopping: ['Terminated', 'Failed'],
  Terminated: [],
  Failed: [],
};

class BasicService implements Service {
  readonly name: string;
  readonly #fns: ServiceFns;
  #state: State = 'New';
  #failure: Error | undefined = undefined;
  readonly #abort = new AbortController();
  readonly #listeners: ((from: State, to: State) => void)[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(name: string, fns: ServiceFns) {
    this.name = name;
    this.#fns = fns;
  }

  state(): State {
    return this.#state;
  }

  failureCase(): Error | undefined {
    return this.#failure;
  }

  addListener(fn: (from: State, to: State) => void): void {
    this.#listeners.push(fn);
  }

  startAsync(): void {
    if (this.#state !== 'New') throw new Error(`service ${this.name}: cannot start from state ${this.#state}`);
    this.#transition('Starting');
    void this.#lifecycle();
  }

  stopAsync(): void {
    if (this.#state === 'New') {
      this.#transition('Terminated');
      return;
    }
    this.#abort.abort();
  }

  awaitRunning(signal?: AbortSignal): Promise<void> {
    return this.#waitFor(signal, () => {
      if (this.#state === 'Running') return true;
      if (this.#state === 'New' || this.#state === 'Starting') return false;
      throw this.#failure ?? new Error(`service ${this.name} is ${this.#state}, not Running`);
    });
  }

  awaitTerminated(signal?: AbortSignal): Promise<void> {
    return this.#waitFor(signal, () => {
      if (this.#state === 'Terminated') return true;
      if (this.#state === 'Failed') throw this.#failure;
      return false;
    });
  }

  async #lifecycle(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      await this.#fns.starting?.(signal);
    } catch (err) {
      // As in dskit, a service that could not start is Failed without running `stopping`.
      if (!isAbortOf(signal, err)) return this.#fail(asError(err, `starting service ${this.name}`));
    }
    let failure: Error | undefined;
    if (!signal.aborted) {
      this.#transition('Running');
      try {
        if (this.#fns.running !== undefined) await this.#fns.running(signal);
        else await abortedPromise(signal);
      } catch (err) {
        if (!isAbortOf(signal, err)) failure = asError(err, `running service ${this.name}`);
      }
    }
    this.#failure = failure;
    this.#transition('Stopping');
    try {
      await this.#fns.stopping?.(failure);
    } catch (err) {
      failure ??= asError(err, `stopping service ${this.name}`);
    }
    if (failure !== undefined) this.#fail(failure);
    else this.#transition('Terminated');
  }

  #fail(failure: Error): void {
    this.#failure = failure;
    this.#transition('Failed');
  }

  #transition(to: State): void {
    const from = this.#state;
    if (!transitions[from].includes(to)) throw new Error(`BUG: service ${this.name}: ${from} → ${to}`);
    this.#state = to;
    for (const fn of this.#listeners) fn(from, to);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `done()` returns true; rejects if it throws or `signal` aborts. */
  #waitFor(signal: AbortSignal | undefined, done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        try {
          if (!done()) return;
          cleanup();
          resolve();
        } catch (err) {
          cleanup();
          reject(err);
        }
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason ?? new Error('aborted'));
      };
      const cleanup = () => {
        this.#waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      this.#waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }
}

/** Giving up because stopAsync() aborted the signal is a clean stop, not a failure. */
function isAbortOf(signal: AbortSignal, err: unknown): boolean {
  return signal.aborted && err instanceof Error && err.name === 'AbortError';
}

function asError(err: unknown, context: string): Error {
  return err instanceof Error ? err : new Error(`${context}: ${String(err)}`);
}

/** Resolves when `signal` aborts. */
export function abortedPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** dskit NewBasicService. */
export function basicService(name: string, fns: ServiceFns): Service {
  return new BasicService(name, fns);
}

/** A service that does nothing while running (dskit NewIdleService). */
export function idleService(name: string, fns: Omit<ServiceFns, 'running'>): Service {
  return new BasicService(name, fns);
}

/**
 * Runs `iteration` every `intervalMs` until stopped (dskit NewTimerService). An iteration that throws
 * fails the service.
 */
export function timerService(
  name: string,
  intervalMs: number,
  iteration: (signal: AbortSignal) => Promise<void>,
  fns: Omit<ServiceFns, 'running'> = {},
): Service {
  return new BasicService(name, {
    ...fns,
    async running(signal) {
      while (!signal.aborted) {
        await sleep(intervalMs, signal);
        if (signal.aborted) return;
        await iteration(signal);
      }
    },
  });
}

/** Sleeps `ms`, resolving early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One service made of several that start together (in order) and stop together (in reverse), as a
 * module that owns a lifecycler and a client pool needs. A part that fails fails the whole.
 */
export function compositeService(name: string, parts: readonly Service[]): Service {
  return new BasicService(name, {
    async starting(signal) {
      for (const part of parts) {
        part.startAsync();
        await part.awaitRunning(signal);
      }
    },
    async running(signal) {
      await Promise.race([abortedPromise(signal), ...parts.map((p) => p.awaitTerminated().then(() => {
        if (!signal.aborted) throw new Error(`${name}: part ${p.name} stopped`);
      }))]);
    },
    async stopping() {
      for (const part of [...parts].reverse()) {
        part.stopAsync();
        await part.awaitTerminated().catch(() => {});
      }
    },
  });
}
