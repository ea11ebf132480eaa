import type { ClientWritableStream, ServerReadableStream } from '@grpc/grpc-js';
import type { TimeSeriesChunk, TransferChunksResponse } from '../generated/myelin/ingester.js';
import type { Logger } from '../log/index.js';
import { Matcher, MatchType } from '../model/labels/index.js';
import { labelsFromWire } from '../wire/index.js';
import type { InstanceDesc } from '../ring/index.js';
import { ValueType } from '../storage/index.js';
import { Encoding, FloatHistogramIterator, HistogramIterator, XorIterator } from '../tsdb/chunkenc/index.js';
import type { HeadAppender } from '../tsdb/index.js';
import { IngesterConn } from './client/index.js';
import type { IngesterClientConfig } from './client/index.js';
import { seriesChunkToWire } from './grpc-service.js';
import type { Ingester } from './ingester.js';
import type { UserTsdb } from './user-tsdb.js';
import { PushError } from './push-error.js';

/** Series appended between WAL commits while receiving a transfer. */
const seriesPerCommit = 512;

/**
 * The receiving side of TransferChunks (Cortex's hand-over on shutdown): a PENDING ingester takes
 * the leaving ingester's series into its own heads and WALs, then claims its tokens and becomes
 * ACTIVE. The sender gets its answer only after that, so it leaves the ring only once nothing it
 * held can be lost.
 */
export class TransferReceiver {
  readonly #ing: Ingester;
  readonly #log: Logger;

  constructor(ing: Ingester, log: Logger) {
    this.#ing = ing;
    this.#log = log;
  }

  async receive(call: ServerReadableStream<TimeSeriesChunk, TransferChunksResponse>): Promise<void> {
    const end = this.#ing.metrics.transferDuration.startTimer({ direction: 'received' });
    let from = '';
    let series = 0;
    const appenders = new Map<string, { app: HeadAppender; pending: number }>();
    const iterators = new Map<number, XorIterator | HistogramIterator | FloatHistogramIterator>([
      [Encoding.XOR, new XorIterator()],
      [Encoding.Histogram, new HistogramIterator()],
      [Encoding.FloatHistogram, new FloatHistogramIterator()],
    ]);
    try {
      for await (const msg of call as AsyncIterable<TimeSeriesChunk>) {
        if (from === '') from = msg.fromIngesterId;
        else if (msg.fromIngesterId !== from) throw PushError.invalid(`transfer mixes senders ${from} and ${msg.fromIngesterId}`);
        let entry = appenders.get(msg.userId);
        if (entry === undefined) {
          const db = await this.#ing.tsdbForTransfer(msg.userId);
          entry = { app: db.head.bulkAppender(), pending: 0 };
          appenders.set(msg.userId, entry);
        }
        const ls = labelsFromWire(msg.labels);
        let ref = 0;
        for (const c of msg.chunks) {
          const it = iterators.get(c.encoding);
          if (it === undefined) throw PushError.invalid(`transfer of ${ls.toString()}: unsupported chunk encoding ${c.encoding}`);
          it.reset(c.data);
          for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
            if (vt === ValueType.Float) ref = entry.app.append(ref, ls, it.atT(), it.atV());
            else if (vt === ValueType.Histogram) ref = entry.app.appendHistogram(ref, ls, it.atT(), it.atHistogram(), undefined);
            else ref = entry.app.appendHistogram(ref, ls, it.atT(), undefined, it.atFloatHistogram());
          }
          if (it.err() !== undefined) throw PushError.invalid(`transfer of ${ls.toString()}: ${it.err()?.message}`);
        }
        series++;
        if (++entry.pending >= seriesPerCommit) {
          await entry.app.commit();
          entry.pending = 0;
        }
      }
      for (const { app } of appenders.values()) await app.commit();
      if (from === '') throw PushError.invalid('transfer carried no series');
      await this.#ing.lifecycler.claimTokensFrom(from);
      this.#ing.metrics.transfers.inc({ direction: 'received', outcome: 'success' });
      this.#ing.metrics.transferredSeries.inc({ direction: 'received' }, series);
      this.#log.info({ from, series }, 'transfer received, tokens claimed');
    } catch (err) {
      for (const { app } of appenders.values()) app.rollback();
      this.#ing.metrics.transfers.inc({ direction: 'received', outcome: 'failure' });
      throw err;
    } finally {
      end();
    }
  }
}

const everySeries = new Matcher(MatchType.Regexp, '__name__', '.*');

/**
 * The sending side: streams every tenant's series (head and local blocks, as raw chunks) to
 * `target`, and resolves once the target has stored them and claimed this ingester's tokens.
 */
export function transferOutVia(cfg: IngesterClientConfig) {
  return async (ing: Ingester, target: InstanceDesc): Promise<void> => {
    const conn = new IngesterConn(cfg, target.addr);
    // The receiver answers only after it stored everything and claimed the tokens.
    let stream!: ClientWritableStream<TimeSeriesChunk>;
    const done = new Promise<void>((resolve, reject) => {
      stream = conn.client.transferChunks((err) => (err ? reject(err) : resolve()));
    });
    done.catch(() => {}); // awaited below; a refusal while we still write must not go unhandled
    try {
      let sent = 0;
      for (const tenant of ing.tenants()) {
        const q = await (ing.tsdb(tenant) as UserTsdb).chunkQuerier(-Infinity, Infinity);
        try {
          const ss = q.select({ start: -Infinity, end: Infinity, step: 0, func: '', range: 0, sortSeries: true }, everySeries);
          while (await ss.next()) {
            if (!stream.write(seriesChunkToWire(ss.at(), ing.lifecycler.id, tenant))) await new Promise((r) => stream.once('drain', r));
            sent++;
          }
          if (ss.err() !== undefined) throw ss.err();
        } finally {
          await q.close();
        }
      }
      stream.end();
      await done;
      ing.metrics.transferredSeries.inc({ direction: 'sent' }, sent);
    } catch (err) {
      stream.cancel();
      throw err;
    } finally {
      conn.client.close();
    }
  };
}
