// A TCP proxy for fault injection: clients connect to the proxy's port, which forwards to a real
// server; `cut()` drops every connection and refuses new ones while the server stays up,
// `restore()` accepts again on the same port. Lets a test take one client offline.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './port.js';

export class TcpProxy {
  readonly port: number;
  readonly #targetPort: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(port: number, targetPort: number) {
    this.port = port;
    this.#targetPort = targetPort;
    this.#server = undefined;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), targetPort);
    await p.restore();
    return p;
  }

  /** Accepts connections again. */
  restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Drops every open connection and refuses new ones until `restore()`. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.cut();
  }
}
