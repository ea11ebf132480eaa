// The querier's side of the frontend worker model (Cortex pkg/querier/worker): the querier opens
// `concurrency` Process streams to the query-frontend, names itself on each, and answers every
// request the frontend sends down a stream before it gets the next. A stream that breaks
// (frontend restarting, network) is opened again after a backoff.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiAnswer, ApiExecutor } from '../../api/prometheus/index.js';
import { errorOf } from '../../api/prometheus/index.js';
import { FrontendClient } from '../../generated/myelin/frontend.js';
import type { FrontendToClient } from '../../generated/myelin/frontend.js';
import type { Logger } from '../../log/index.js';
import { ErrorType } from '../../promql/index.js';
import { grpcClientCredentials } from '../../tls/index.js';
import { basicService } from '../../services/index.js';
import type { Service } from '../../services/index.js';
import type { FrontendWorkerConfig } from '../config.js';
import { answerToWire, requestFromWire } from './wire.js';

/** The first wait before opening a broken stream again (ms); it doubles up to the configured maximum. */
const firstBackoff = 100;

export interface FrontendWorkerDeps {
  /** Runs a request on this querier (its query worker pool). */
  execute: ApiExecutor;
  /** -querier.max-concurrent as a number of query workers: the streams opened with -querier.worker-match-max-concurrent. */
  maxConcurrent: number;
  /** This querier's ID when -querier.id is empty. */
  defaultId: string;
  logger: Logger;
}

export class FrontendWorker {
  readonly #cfg: FrontendWorkerConfig;
  readonly #deps: FrontendWorkerDeps;
  readonly #id: string;
  readonly #log: Logger;

  constructor(cfg: FrontendWorkerConfig, deps: FrontendWorkerDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#id = cfg.id !== '' ? cfg.id : deps.defaultId;
    this.#log = deps.logger.child({ component: 'frontend-worker', frontend: cfg.frontendAddress });
  }

  service(): Service {
    return basicService('frontend-worker', {
      running: (signal) => this.#followFrontends(signal),
    });
  }

  /**
   * Serves every frontend the address resolves to, looked up again every -querier.dns-lookup-period
   * (a Kubernetes headless Service names all the frontend pods), as Cortex's querier does.
   */
  async #followFrontends(signal: AbortSignal): Promise<void> {
    const serving = new Map<string, { stop: AbortController; done: Promise<void> }>();
    try {
      while (!signal.aborted) {
        const addrs = await resolveAll(this.#cfg.frontendAddress).catch((err: unknown) => {
          this.#log.warn({ err }, 'resolve the query-frontend address; keeping the frontends known');
          return [...serving.keys()];
        });
        for (const addr of addrs) {
          if (serving.has(addr)) continue;
          const stop = new AbortController();
          signal.addEventListener('abort', () => stop.abort(), { once: true });
          serving.set(addr, { stop, done: this.#serveFrontend(addr, stop.signal) });
        }
        for (const [addr, s] of serving) {
          if (addrs.includes(addr)) continue;
          s.stop.abort();
          await s.done;
          serving.delete(addr);
        }
        await sleep(this.#cfg.dnsLookupPeriod, undefined, { signal }).catch(() => {});
      }
    } finally {
      for (const s of serving.values()) s.stop.abort();
      await Promise.all([...serving.values()].map((s) => s.done));
    }
  }

  async #serveFrontend(addr: string, signal: AbortSignal): Promise<void> {
    const g = this.#cfg.grpcClientConfig;
    const { creds, options } = grpcClientCredentials(g);
    const host = hostOf(this.#cfg.frontendAddress);
    const client = new FrontendClient(addr, creds, {
      // Connected by IP: TLS still checks the name the operator gave.
      ...(g.tlsServerName === '' && host !== hostOf(addr) ? { 'grpc.ssl_target_name_override': host } : {}),
      ...options,
      'grpc.max_receive_message_length': g.maxMsgSize,
      'grpc.max_send_message_length': g.maxMsgSize,
    });
    try {
      const streams = this.#cfg.matchMaxConcurrent ? this.#deps.maxConcurrent : this.#cfg.parallelism;
      await Promise.all(Array.from({ length: streams }, () => this.#keepStreamOpen(client, signal)));
    } finally {
      client.close();
    }
  }

  async #keepStreamOpen(client: FrontendClient, signal: AbortSignal): Promise<void> {
    let backoff = firstBackoff;
    while (!signal.aborted) {
      const served = await this.#stream(client, signal);
      if (signal.aborted) return;
      if (served) backoff = firstBackoff;
      await sleep(backoff, undefined, { signal }).catch(() => {});
      backoff = Math.min(backoff * 2, this.#cfg.grpcClientConfig.backoffMaxPeriod);
    }
  }

  /** One Process stream, until it ends; resolves whether the frontend sent anything on it. */
  #stream(client: FrontendClient, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const call = client.process();
      // Stops the request in hand when the stream goes: nobody waits for its answer any more.
      const running = new AbortController();
      let served = false;
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (m: FrontendToClient) => {
        served = true;
        void this.#answer(m, running.signal).then((a) => {
          if (!running.signal.aborted) call.write({ clientId: '', response: answerToWire(a) });
        });
      });
      call.on('error', (err) => {
        if (!signal.aborted) this.#log.warn({ err }, 'query-frontend stream failed');
      });
      // 'status' ends every call, whichever side ended it ('close' waits for our writable side too).
      call.on('status', () => {
        running.abort();
        signal.removeEventListener('abort', onAbort);
        resolve(served);
      });
      call.write({ clientId: this.#id, response: undefined });
    });
  }

  async #answer(m: FrontendToClient, signal: AbortSignal): Promise<ApiAnswer> {
    if (m.request === undefined) return errorOf(ErrorType.BadData, 'the query-frontend sent a message without a request');
    let req;
    try {
      req = requestFromWire(m.request);
    } catch (err) {
      return errorOf(ErrorType.BadData, `decode the query-frontend's request: ${(err as Error).message}`);
    }
    return this.#deps.execute(req, signal);
  }
}

/** host:port → every address of host, with the port (IP addresses stand for themselves). */
async function resolveAll(hostPort: string): Promise<string[]> {
  const host = hostOf(hostPort);
  const port = hostPort.slice(hostPort.lastIndexOf(':') + 1);
  if (isIP(host) !== 0) return [hostPort];
  const found = await lookup(host, { all: true });
  return found.map((a) => (a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`));
}

function hostOf(hostPort: string): string {
  return hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
}
