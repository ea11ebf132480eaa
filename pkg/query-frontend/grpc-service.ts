// The frontend's side of a querier's Process stream: the first message names the querier; from
// then on the stream is one unit of that querier's concurrency, given one request at a time.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ApiAnswer } from '../api/prometheus/index.js';
import type { ClientToFrontend, FrontendServer, FrontendToClient } from '../generated/myelin/frontend.js';
import type { Logger } from '../log/index.js';
import { answerFromWire, requestToWire } from './client/index.js';
import { QuerierGoneError } from './frontend.js';
import type { Frontend } from './frontend.js';

export function frontendGrpcService(frontend: Frontend, logger: Logger): FrontendServer {
  return {
    process: (call: ServerDuplexStream<ClientToFrontend, FrontendToClient>) => {
      const ac = new AbortController();
      let querierId: string | undefined;
      let pending: { resolve: (a: ApiAnswer) => void; reject: (e: Error) => void } | undefined;
      const gone = (cause?: unknown): void => {
        if (ac.signal.aborted) return;
        ac.abort();
        pending?.reject(new QuerierGoneError(querierId ?? 'unknown', cause));
        pending = undefined;
      };
      call.on('data', (msg: ClientToFrontend) => {
        if (querierId === undefined) {
          querierId = msg.clientId !== '' ? msg.clientId : call.getPeer();
          void frontend.serveQuerier(querierId, (req) => new Promise<ApiAnswer>((resolve, reject) => {
            if (ac.signal.aborted) return reject(new QuerierGoneError(querierId ?? 'unknown'));
            pending = { resolve, reject };
            call.write({ request: requestToWire(req) });
          }), ac.signal).finally(() => call.end());
          return;
        }
        const p = pending;
        pending = undefined;
        if (p === undefined || msg.response === undefined) {
          logger.warn({ querier: querierId }, 'querier sent an answer to no request; closing its stream');
          gone();
          return;
        }
        p.resolve(answerFromWire(msg.response));
      });
      call.on('end', () => gone());
      call.on('error', (err) => gone(err));
      call.on('cancelled', () => gone());
      call.on('close', () => gone());
    },
  };
}
