import type { Labels } from '../../model/labels/index.js';
import type { FloatHistogram } from '../../model/histogram/index.js';
import type { Querier } from '../../storage/index.js';
import { Head } from '../../tsdb/index.js';
import type { ScriptStorage } from './runner.js';

/**
 * The scripts over Myelin's TSDB head (XOR chunks, postings) as well: the same verdicts are
 * required. Its block range is stretched so that the scripts' long loads stay in bounds.
 */
export class HeadScriptStorage implements ScriptStorage {
  #head: Head | undefined;
  #app: ReturnType<Head['appender']> | undefined;

  async #open(): Promise<Head> {
    this.#head ??= await Head.open({ chunkRange: 100 * 365 * 86400_000 });
    return this.#head;
  }

  async querier(mint: number, maxt: number): Promise<Querier> {
    return (await this.#open()).querier(mint, maxt);
  }

  append(labels: Labels, t: number, v: number): void {
    if (this.#app === undefined) throw new Error('BUG: append before flush opened an appender');
    this.#app.append(0, labels, t, v);
  }

  appendHistogram(labels: Labels, t: number, h: FloatHistogram): void {
    if (this.#app === undefined) throw new Error('BUG: append before flush opened an appender');
    this.#app.appendHistogram(0, labels, t, undefined, h);
  }

  async flush(): Promise<void> {
    if (this.#app !== undefined) await this.#app.commit();
    this.#app = (await this.#open()).appender();
  }

  async clear(): Promise<void> {
    this.#app?.rollback();
    this.#app = undefined;
    await this.#head?.close();
    this.#head = undefined;
    await this.flush();
  }
}

