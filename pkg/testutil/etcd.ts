// A real etcd (the Debian etcd-server package, /usr/bin/etcd) for tests: one member on free
// 127.0.0.1 ports with a temporary data directory. `restart()` keeps the ports and the data, so
// clients see the same server come back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './port.js';
import { waitUntil } from './poll.js';
import { TestProcess } from './process.js';

const etcdBinary = process.env.ETCD_BIN ?? '/usr/bin/etcd';

export class EtcdServer {
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  #proc: TestProcess | undefined;

  private constructor(dataDir: string, clientPort: number, peerPort: number) {
    this.dataDir = dataDir;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.#proc = undefined;
  }

  /** Starts etcd and waits until /health answers. */
  static async start(): Promise<EtcdServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'myelin-etcd-'));
    const server = new EtcdServer(dataDir, await freePort(), await freePort());
    await server.#run();
    return server;
  }

  /** The client URL, e.g. `http://127.0.0.1:40123`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  async #run(): Promise<void> {
    const client = this.endpoint;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const proc = new TestProcess('etcd', etcdBinary, [
      '--name=test',
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--initial-cluster-state=new',
      '--log-level=error',
    ]);
    this.#proc = proc;
    try {
      await waitUntil(
        async () => {
          if (!proc.running) throw new Error(`etcd exited:\n${proc.output}`);
          const res = await fetch(`${client}/health`);
          const body = (await res.json()) as { health?: string };
          return body.health === 'true';
        },
        { timeoutMs: 20_000, what: `etcd on ${client}` },
      );
    } catch (err) {
      await proc.stop('SIGKILL');
      throw err;
    }
  }

  /** Stops the etcd process (SIGTERM to its PID); the data directory stays. */
  async stop(): Promise<void> {
    await this.#proc?.stop();
  }

  /** Starts etcd again on the same ports and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#run();
  }

  /** Stops etcd and removes its data directory. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
