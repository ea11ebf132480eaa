// A real Redis (the Debian redis-server package) for tests: a free 127.0.0.1 port, no persistence.
// `stop()` kills it by PID; `restart()` brings it back on the same port (empty).
import { freePort } from './port.js';
import { waitUntil } from './poll.js';
import { TestProcess } from './process.js';
import { createConnection } from 'node:net';

const redisBinary = process.env.REDIS_BIN ?? '/usr/bin/redis-server';

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = '';
    sock.once('error', () => resolve(false));
    sock.on('data', (b) => {
      got += b.toString();
      if (got.includes('\r\n')) {
        sock.destroy();
        resolve(got.startsWith('+PONG'));
      }
    });
    sock.once('connect', () => sock.write('PING\r\n'));
  });
}

export class RedisServer {
  readonly port: number;
  #proc: TestProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<RedisServer> {
    const s = new RedisServer(await freePort());
    await s.#run();
    return s;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async #run(): Promise<void> {
    const proc = new TestProcess('redis', redisBinary, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    this.#proc = proc;
    await waitUntil(async () => {
      if (!proc.running) throw new Error(`redis-server exited: ${proc.output}`);
      return ping(this.port);
    }, { what: 'redis-server to answer PING' });
  }

  async stop(): Promise<void> {
    await this.#proc?.stop('SIGKILL');
    this.#proc = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#run();
  }
}
