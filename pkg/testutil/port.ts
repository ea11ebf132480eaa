// Free TCP ports on 127.0.0.1 for servers a test starts.
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

/** Resolves true when nothing listens on `port` of 127.0.0.1 (it can be bound). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
