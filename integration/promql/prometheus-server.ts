/**
 * A real Prometheus (Debian package, 2.42) serving a data set: the samples are turned into TSDB
 * blocks with `promtool tsdb create-blocks-from openmetrics`, and Prometheus is started on them on
 * 127.0.0.1 with a free port. Stop it with `stop()` (its own PID only).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, TestProcess, waitUntil } from '../../pkg/testutil/index.js';
import type { GeneratedSeries } from './dataset.js';
import { toOpenMetrics } from './dataset.js';

const run = promisify(execFile);
export const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

export class PrometheusServer {
  readonly url: string;
  readonly #proc: TestProcess;
  readonly #dir: string;

  private constructor(url: string, proc: TestProcess, dir: string) {
    this.url = url;
    this.#proc = proc;
    this.#dir = dir;
  }

  /** `args` are added to Prometheus' command line (e.g. block durations). */
  static async start(series: readonly GeneratedSeries[], args: readonly string[] = []): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'myelin-prom-'));
    await writeFile(join(dir, 'input.om'), toOpenMetrics(series));
    await run(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'input.om'), join(dir, 'data')], {
      maxBuffer: 64 << 20,
    });
    return PrometheusServer.#launch(dir, ['--query.max-samples=500000000', ...args]);
  }

  /**
   * An empty Prometheus that scrapes nothing and takes remote writes at `${url}/api/v1/write`;
   * `args` are added to its command line.
   */
  static async startReceiver(args: readonly string[] = []): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'myelin-prom-'));
    return PrometheusServer.#launch(dir, ['--web.enable-remote-write-receiver', ...args]);
  }

  static async #launch(dir: string, flags: string[]): Promise<PrometheusServer> {
    await writeFile(join(dir, 'prometheus.yml'), 'global: {}\n');
    const port = await freePort();
    const proc = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ]);
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, proc, dir);
    try {
      await waitUntil(async () => (await fetch(`${server.url}/-/ready`)).status === 200, {
        timeoutMs: 60_000,
        what: 'prometheus ready',
      });
    } catch (err) {
      await server.stop();
      throw new Error(`start prometheus: ${proc.output}`, { cause: err });
    }
    return server;
  }

  /** Prometheus' --storage.tsdb.path: the blocks promtool made, then whatever Prometheus adds. */
  get dataDir(): string {
    return join(this.#dir, 'data');
  }

  /** GET an API path with query parameters; returns the parsed JSON body. */
  async get(path: string, params: Record<string, string>): Promise<unknown> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params).toString()}`);
    return res.json();
  }

  async stop(): Promise<void> {
    await this.#proc.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
