// KVClient over etcd v3 (the etcd3 package). CAS is a transaction guarded by the key's mod
// revision; watches resume from the last seen revision after a disconnect (etcd3 re-creates the
// stream) and re-list when etcd has compacted that revision away.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Cockatiel from 'cockatiel';
import type * as Etcd3Module from 'etcd3';
import type { IBackoff } from 'cockatiel';
import type { Etcd3, IKeyValue, IOptions, Namespace } from 'etcd3';
import type { Logger } from '../../log/index.js';
import { CasConflictError, type CasFn, type KVClient, type WatchKeyFn, type WatchPrefixFn } from '../client.js';
import { casBackoff } from '../cas-backoff.js';
import type { Codec } from '../codec.js';
import type { EtcdConfig } from '../config.js';
import { sleep } from '../../services/index.js';

export interface EtcdClientOptions {
  logger: Logger;
  /** Called each time a watch loses its stream or has to re-list (metrics). */
  onWatchRestart?: () => void;
}

// Loaded on first use: etcd3 and its fault-handling library cost most of a second to load, which
// every thread that imports this package for other things (query workers, ingester shards) would
// otherwise pay.
const load = createRequire(import.meta.url);
const etcd3 = (): typeof Etcd3Module => load('etcd3') as typeof Etcd3Module;
const cockatiel = (): typeof Cockatiel => load('cockatiel') as typeof Cockatiel;

/** Builds etcd3 options from the config; exported so tests can check the TLS and auth mapping. */
export function etcdClientOptions(cfg: EtcdConfig): IOptions {
  const { isRecoverableError } = etcd3();
  const { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } = cockatiel();
  const secure = cfg.tlsEnabled;
  const opts: IOptions = {
    hosts: cfg.endpoints.map((e) => (secure && !/^https?:\/\//.test(e) ? `https://${e}` : e)),
    dialTimeout: cfg.dialTimeout,
    faultHandling: {
      // etcd3's default breaker keeps a host closed for 5s after three errors; a restarted etcd
      // should be used as soon as it answers.
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
      // Every call (a lifecycler's first read, a ring listing) rides out a short etcd outage, as
      // Go's etcd client does: etcd3's default retries three times at once, and a restarted etcd
      // is not listening yet. Backing off 50 ms .. 1 s over 7 attempts waits about 3 s at most.
      global: retry(handleWhen((e) => isRecoverableError(e) || isBrokenCircuitError(e)), {
        maxAttempts: 7,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
      }),
      // etcd3 types this as a backoff but calls `.next()` on it as on a factory, which is what
      // its own default (`new ExponentialBackoff()`) is; cap the delay so watches resume quickly.
      watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 2000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (secure && cfg.tlsCaPath !== '') {
    opts.credentials = {
      rootCertificate: readFileSync(cfg.tlsCaPath),
      privateKey: cfg.tlsKeyPath !== '' ? readFileSync(cfg.tlsKeyPath) : undefined,
      certChain: cfg.tlsCertPath !== '' ? readFileSync(cfg.tlsCertPath) : undefined,
    };
  }
  if (secure && cfg.tlsServerName !== '') opts.grpcOptions = { 'grpc.ssl_target_name_override': cfg.tlsServerName };
  if (cfg.username !== '') opts.auth = { username: cfg.username, password: cfg.password };
  return opts;
}

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

type WatchEnd = 'stopped' | 'aborted' | 'relist';

export class EtcdClient<T> implements KVClient<T> {
  readonly #etcd: Etcd3;
  readonly #ns: Namespace;
  readonly #codec: Codec<T>;
  readonly #maxRetries: number;
  readonly #log: Logger;
  readonly #onWatchRestart: () => void;

  constructor(cfg: EtcdConfig, codec: Codec<T>, prefix: string, opts: EtcdClientOptions) {
    this.#etcd = new (etcd3().Etcd3)(etcdClientOptions(cfg));
    this.#ns = prefix === '' ? this.#etcd : this.#etcd.namespace(prefix);
    this.#codec = codec;
    this.#maxRetries = Math.max(1, cfg.maxRetries);
    this.#log = opts.logger;
    this.#onWatchRestart = opts.onWatchRestart ?? (() => {});
  }

  async get(key: string): Promise<T | null> {
    const buf = await this.#ns.get(key).buffer();
    return buf === null ? null : this.#codec.decode(buf);
  }

  async cas(key: string, f: CasFn<T>): Promise<T | null> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.#maxRetries; attempt++) {
      let kv: IKeyValue | undefined;
      try {
        kv = (await this.#ns.get(key).exec()).kvs[0];
      } catch (err) {
        lastErr = err;
        await casBackoff(attempt);
        continue;
      }
      const current = kv === undefined ? null : this.#codec.decode(kv.value);
      const next = await f(current);
      if (next === null) return current;
      try {
        const res = await this.#ns
          .if(key, 'Mod', '==', kv === undefined ? 0 : kv.mod_revision)
          .then(this.#ns.put(key).value(toBuffer(this.#codec.encode(next))))
          .commit();
        if (res.succeeded) return next;
        lastErr = undefined;
      } catch (err) {
        lastErr = err;
      }
      await casBackoff(attempt);
    }
    if (lastErr !== undefined) throw new Error(`compare-and-swap of etcd key ${JSON.stringify(key)}`, { cause: lastErr });
    throw new CasConflictError(key, this.#maxRetries);
  }

  async delete(key: string): Promise<void> {
    await this.#ns.delete().key(key).exec();
  }

  async list(prefix: string): Promise<string[]> {
    const keys = await this.#ns.getAll().prefix(prefix).keys();
    return keys.sort();
  }

  watchKey(key: string, signal: AbortSignal, f: WatchKeyFn<T>): Promise<void> {
    return this.#watch(key, false, signal, (_k, v) => f(v));
  }

  watchPrefix(prefix: string, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    return this.#watch(prefix, true, signal, f);
  }

  /**
   * List, then watch from the listed revision + 1. `known` holds the mod revision of every key
   * delivered so far, so a re-list delivers only what changed (including deletes it missed).
   */
  async #watch(target: string, isPrefix: boolean, signal: AbortSignal, f: WatchPrefixFn<T>): Promise<void> {
    const known = new Map<string, string>();
    let first = true;
    let failures = 0;
    while (!signal.aborted) {
      let listedRevision: string;
      try {
        const res = isPrefix ? await this.#ns.getAll().prefix(target).exec() : await this.#ns.get(target).exec();
        listedRevision = res.header.revision;
        if (!this.#deliverListing(res.kvs, known, isPrefix ? null : target, first, f)) return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.#onWatchRestart();
        this.#log.warn({ key: target, err }, 'listing etcd keys for watch');
        await sleep(Math.min(2000, 50 << Math.min(failures, 6)), signal);
        continue;
      }
      first = false;
      failures = 0;
      const end = await this.#watchFrom(target, isPrefix, BigInt(listedRevision) + 1n, signal, known, f);
      if (end !== 'relist') return;
      this.#onWatchRestart();
    }
  }

  /** Returns false when `f` asked to stop. */
  #deliverListing(
    kvs: IKeyValue[],
    known: Map<string, string>,
    singleKey: string | null,
    first: boolean,
    f: WatchPrefixFn<T>,
  ): boolean {
    const seen = new Set<string>();
    for (const kv of kvs) {
      const key = kv.key.toString();
      seen.add(key);
      if (known.get(key) === kv.mod_revision) continue;
      known.set(key, kv.mod_revision);
      if (this.#call(f, key, kv.value) === false) return false;
    }
    for (const key of [...known.keys()]) {
      if (seen.has(key)) continue;
      known.delete(key);
      if (f(key, null) === false) return false;
    }
    if (singleKey !== null && first && kvs.length === 0) return f(singleKey, null) !== false;
    return true;
  }

  #call(f: WatchPrefixFn<T>, key: string, value: Buffer): boolean | void {
    let decoded: T;
    try {
      decoded = this.#codec.decode(value);
    } catch (err) {
      this.#log.warn({ key, err }, 'skipping undecodable etcd value');
      return true;
    }
    return f(key, decoded);
  }

  #watchFrom(
    target: string,
    isPrefix: boolean,
    startRevision: bigint,
    signal: AbortSignal,
    known: Map<string, string>,
    f: WatchPrefixFn<T>,
  ): Promise<WatchEnd> {
    const builder = this.#ns.watch().startRevision(startRevision.toString());
    const watcher = (isPrefix ? builder.prefix(target) : builder.key(target)).watcher();
    return new Promise<WatchEnd>((resolve, reject) => {
      let ended = false;
      const end = (how: WatchEnd, err?: unknown): void => {
        if (ended) return;
        ended = true;
        signal.removeEventListener('abort', onAbort);
        watcher.off('put', onPut).off('delete', onDelete).off('disconnected', onDisconnected).off('error', onError);
        // A late error while cancelling must not be an unhandled 'error' event.
        watcher.on('error', () => {});
        if (how === 'relist') {
          // etcd cancelled this watcher itself and etcd3 already dropped it; cancel() would wait
          // for an 'end' that never comes.
          resolve(how);
          return;
        }
        watcher.cancel().then(
          () => (err === undefined ? resolve(how) : reject(err)),
          (cancelErr: unknown) => {
            this.#log.debug({ key: target, err: cancelErr }, 'cancelling etcd watch');
            if (err === undefined) resolve(how);
            else reject(err);
          },
        );
      };
      const onAbort = (): void => end('aborted');
      const guard = (fn: () => boolean | void): void => {
        if (ended) return;
        try {
          if (fn() === false) end('stopped');
        } catch (err) {
          end('stopped', err);
        }
      };
      const onPut = (kv: IKeyValue): void =>
        guard(() => {
          const key = kv.key.toString();
          if (known.get(key) === kv.mod_revision) return true;
          known.set(key, kv.mod_revision);
          return this.#call(f, key, kv.value);
        });
      const onDelete = (kv: IKeyValue): void =>
        guard(() => {
          const key = kv.key.toString();
          if (!known.delete(key)) return true;
          return f(key, null);
        });
      const onDisconnected = (err: Error): void => {
        this.#log.debug({ key: target, err }, 'etcd watch disconnected, resuming');
        this.#onWatchRestart();
      };
      const onError = (err: Error): void => {
        // etcd cancelled the watch, typically because its start revision was compacted away.
        this.#log.warn({ key: target, err }, 'etcd watch cancelled, re-listing');
        end('relist');
      };
      watcher.on('put', onPut).on('delete', onDelete).on('disconnected', onDisconnected).on('error', onError);
      if (signal.aborted) end('aborted');
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#etcd.close();
  }
}
