// A child process started by a test (etcd, Redis, Prometheus, the myelin binary), stopped by its
// own PID only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

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
