// An HTTP answer written while it is being made (a streamed remote read): nothing is sent until
// the first bytes, so an answer that fails before them is still an ordinary error answer.
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ApiAnswer } from './execute.js';

export class StreamedReply {
  readonly #reply: FastifyReply;
  readonly #contentType: string;
  #out: PassThrough | undefined = undefined;

  constructor(reply: FastifyReply, contentType: string) {
    this.#reply = reply;
    this.#contentType = contentType;
  }

  get started(): boolean {
    return this.#out !== undefined;
  }

  /** Sends the 200 and its headers with the first bytes. What the socket has not taken yet is buffered. */
  readonly write = (bytes: Uint8Array): void => {
    if (this.#out === undefined) {
      this.#out = new PassThrough();
      void this.#reply.code(200).header('content-type', this.#contentType).send(this.#out);
    }
    this.#out.write(bytes);
  };

  /**
   * Ends a started answer: whole when `a` is a success; otherwise cut short, so that the client's
   * read fails (the 200 is out already; Prometheus' own reader then reports a broken stream).
   */
  finish(a: ApiAnswer): FastifyReply {
    const out = this.#out;
    if (out === undefined) throw new Error('BUG: finish() of a reply that never started');
    if (a.status === 200) out.end();
    else {
      this.#reply.log.warn({ status: a.status, errorType: a.errorType, error: a.error }, 'streamed answer cut short');
      out.destroy(new Error(a.error ?? `answer failed with status ${a.status}`));
    }
    return this.#reply;
  }
}
