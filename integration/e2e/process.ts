// Helpers for tests that start real processes (etcd, Redis, Prometheus) on 127.0.0.1: free ports,
// polling instead of sleeping, and a child process that is stopped by its own PID only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1. Another process may take it before we bind it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('BUG: listening socket has no port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

export interface WaitOptions {
  /** Give up after this many milliseconds (default 10000). */
  timeoutMs?: number;
  /** Poll every this many milliseconds (default 20). */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/**
 * Polls `cond` until it returns true (dskit test.Poll). A thrown error counts as "not yet"; the last
 * one is attached as the cause of the timeout error.
 */
export async function waitUntil(cond: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      if (await cond()) return;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${opts.what ?? 'condition'}`, { cause: lastErr });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface TestProcessOptions {
  /** Extra environment variables, on top of this process's. */
  env?: Record<string, string>;
  /** Append all of stdout and stderr to this file as well. */
  logFile?: string;
  /** Working directory (default: this process's). */
  cwd?: string;
}

/** A child process started by a test. Output is kept (bounded) for error messages. */
export class TestProcess {
  readonly name: string;
  readonly child: ChildProcess;
  #output = '';
  #exited: Promise<number | null>;

  constructor(name: string, cmd: string, args: string[], opts: TestProcessOptions = {}) {
    this.name = name;
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd });
    const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a' });
    const keep = (b: Buffer): void => {
      this.#output = (this.#output + b.toString()).slice(-8192);
      log?.write(b);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      this.child.once('close', (code) => {
        log?.end();
        resolve(code);
      });
      this.child.once('error', (err) => {
        this.#output += `\nspawn error: ${err.message}`;
        resolve(null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last 8 KiB of stdout and stderr. */
  get output(): string {
    return this.#output;
  }

  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null> {
    return this.#exited;
  }

  /** Sends `signal` to this process's PID and waits until it exits. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, signal);
    await this.#exited;
  }
}
