import { readdir, rm } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { tenantBucket, type Bucket } from '../bucket/index.js';
import { TENANT_DELETION_MARK } from '../bucket-index/index.js';
import type { MetricMetadata } from '../generated/prometheus/types.js';
import { decoderOf, WireError, WriteRequestDecoder } from '../wire/index.js';
import type { MetadataEntry } from '../wire/index.js';
import type { KVClient } from '../kv/index.js';
import type { Overrides } from '../limits/index.js';
import type { Logger } from '../log/index.js';
import { InstanceState, Lifecycler, Write } from '../ring/index.js';
import type { InstanceDesc } from '../ring/index.js';
import { basicService, sleep } from '../services/index.js';
import type { Service } from '../services/index.js';
import { tenantIdProblem } from '../tenant/index.js';
import { WalWriteError } from '../tsdb/index.js';
import { UlidGenerator } from '../tsdb/block/index.js';
import type { IngesterConfig, TsdbConfig } from './config.js';
import { IngestionRate } from './ingestion-rate.js';
import { Limiter } from './limiter.js';
import { IngesterMetrics } from './metrics.js';
import { PushError } from './push-error.js';
import { Shipper } from './shipper.js';
import { TenantRegistries } from './tenant-metrics.js';
import { UserTsdb } from './user-tsdb.js';
import { HeadDeletions } from './head-deletions.js';

export interface IngesterDeps {
  overrides: Overrides;
  /** The ingester ring's KV client. */
  kv: KVClient<InstanceDesc>;
  /** Where blocks are shipped; undefined disables shipping (and flush only writes local blocks). */
  bucket: Bucket | undefined;
  registry: Registry;
  logger: Logger;
  now?: () => number;
  /** Hands every in-memory series to a PENDING ingester on shutdown; rejects when it did not take them. */
  transferOut?: (ingester: Ingester, target: InstanceDesc) => Promise<void>;
  /** -purger.delete-request-cancel-period (ms; default 24h): series delete requests reach the heads after it. */
  deleteRequestCancelPeriod?: number;
}

/** Stats of one tenant, as the UserStats RPC reports them. */
export interface TenantStats {
  ingestionRate: number;
  numSeries: number;
  apiIngestionRate: number;
  ruleIngestionRate: number;
}

/**
 * The ingester (Cortex pkg/ingester, blocks storage): one TSDB per tenant, opened on first write;
 * a push is acknowledged once its samples are in the tenant's WAL. Heads are cut into blocks every
 * block range and shipped to the bucket. On shutdown the in-memory series go to a PENDING
 * ingester (transfer) or are flushed as blocks.
 */
export class Ingester {
  readonly lifecycler: Lifecycler;
  readonly metrics: IngesterMetrics;
  readonly #cfg: IngesterConfig;
  readonly #tsdbCfg: TsdbConfig;
  readonly #deps: IngesterDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #limiter: Limiter;
  readonly #tsdbs = new Map<string, UserTsdb>();
  readonly #opening = new Map<string, Promise<UserTsdb>>();
  readonly #shippers = new Map<string, Shipper>();
  readonly #metadata = new Map<string, Map<string, MetricMetadata>>();
  readonly #rates = new Map<string, IngestionRate>();
  readonly #tenantRegistries: TenantRegistries;
  readonly #ulids = new UlidGenerator();
  readonly #deletions: HeadDeletions;
  readonly #decoder = new WriteRequestDecoder({ labelStrings: false });
  /** Pushes are refused unless this is true (before the WAL replay, and from shutdown on). */
  #acceptingWrites = false;
  #inflightPushes = 0;
  /** Set by the shutdown handler: leave by flushing, never by transfer. */
  #flushOnLeave = false;
  #drained: (() => void) | undefined;
  readonly service: Service;

  constructor(cfg: IngesterConfig, tsdbCfg: TsdbConfig, deps: IngesterDeps) {
    this.#cfg = cfg;
    this.#tsdbCfg = tsdbCfg;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'ingester' });
    this.#now = deps.now ?? Date.now;
    this.#deletions = new HeadDeletions({ bucket: deps.bucket, cancelPeriod: deps.deleteRequestCancelPeriod ?? 24 * 3600_000, logger: this.#log, now: this.#now });
    this.metrics = new IngesterMetrics(deps.registry, {
      users: () => this.#tsdbs.size,
      series: () => [...this.#tsdbs.values()].reduce((n, db) => n + db.head.numSeries(), 0),
    });
    this.#tenantRegistries = new TenantRegistries(deps.registry);
    this.lifecycler = new Lifecycler(cfg.lifecycler, cfg.lifecycler.ring, 'ingester', 'ingester', {
      kv: deps.kv, logger: deps.logger, registry: deps.registry, now: deps.now,
      onLeaving: () => this.#onLeaving(),
    });
    this.#limiter = new Limiter(deps.overrides, {
      healthyInstances: () => this.lifecycler.ring.getAllHealthy(Write).instances.length,
      replicationFactor: () => this.lifecycler.ring.replicationFactor(),
    });
    this.service = basicService('ingester', {
      starting: (signal) => this.#starting(signal),
      running: (signal) => this.#running(signal),
      stopping: () => this.#stopping(),
    });
  }

  /** Series with no sample since this time (ms) are not active (-ingester.active-series-metrics-idle-timeout). */
  activeSince(): number {
    return this.#now() - this.#cfg.activeSeriesMetricsIdleTimeout;
  }

  /** Whether pushes are taken now (false while starting, transferring or stopping). */
  acceptingWrites(): boolean {
    return this.#acceptingWrites;
  }

  /**
   * Why this ingester cannot serve writes now, for /ready: not ACTIVE in its ring, or a tenant's WAL
   * that cannot write (full disk); undefined when it can.
   */
  notReadyReason(): string | undefined {
    const ring = this.lifecycler.notReadyReason();
    if (ring !== undefined) return ring;
    for (const [tenant, db] of this.#tsdbs) {
      const wal = db.head.wal?.failure();
      if (wal !== undefined) return `tenant ${tenant}: ${wal}`;
    }
    return undefined;
  }

  /** The tenants with a TSDB open. */
  tenants(): string[] {
    return [...this.#tsdbs.keys()].sort();
  }

  /** The tenant's open TSDB, or undefined when it has none (no data in this ingester). */
  tsdb(tenant: string): UserTsdb | undefined {
    return this.#tsdbs.get(tenant);
  }

  /**
   * Stores an encoded remote-write request (prometheus.WriteRequest) for `tenant`. Resolves once
   * every accepted sample is in the WAL; rejects with a PushError whose code says how the
   * distributor should answer (refused samples are skipped, the others kept, and the first refusal
   * reported, as Cortex does).
   */
  async push(tenant: string, body: Buffer): Promise<void> {
    if (!this.#acceptingWrites) throw PushError.unavailable('ingester is not accepting writes (starting, transferring or stopping)');
    this.#inflightPushes++;
    try {
      const db = await this.#getOrOpenTsdb(tenant);
      // A body this thread's distributor decoded comes with its columns (held until this push
      // answers); any other is decoded by the ingester's own decoder, which serves every push: it
      // is read synchronously inside append() before any await.
      let req = decoderOf(body);
      if (req === undefined) {
        try {
          req = this.#decoder.decode(body);
        } catch (err) {
          if (err instanceof WireError) throw PushError.invalid(`malformed write request: ${err.message}`).storing({ samples: 0, histograms: 0, exemplars: 0 });
          throw err;
        }
      }
      const metadataRefused = this.#storeMetadata(tenant, req.metadata);
      const exemplarsSent = req.exemplarCount;
      const res = await db.append(req).catch((err: unknown) => {
        // A full or failing disk: nothing of the push was acknowledged; Prometheus retries it.
        const wal = walWriteError(err);
        throw wal === undefined ? err : PushError.unavailable(`tenant ${tenant}: ${wal.message}`);
      });
      this.metrics.ingestedSamples.inc(res.appended);
      if (res.outOfOrderAppended > 0) this.metrics.oooSamplesAppended.inc({ user: tenant }, res.outOfOrderAppended);
      this.#rates.get(tenant)?.add(res.appended);
      let failed = 0;
      for (const [reason, n] of res.failed) {
        failed += n;
        this.metrics.discardedSamples.inc({ reason, user: tenant }, n);
      }
      this.metrics.ingestedSamplesFailures.inc(failed);
      this.metrics.ingestedExemplars.inc(res.exemplarsAppended);
      let failedExemplars = 0;
      for (const [reason, n] of res.exemplarsFailed) {
        failedExemplars += n;
        this.metrics.discardedExemplars.inc({ reason, user: tenant }, n);
      }
      this.metrics.ingestedExemplarsFailures.inc(failedExemplars);
      // What was stored goes with a refusal: remote write 2.0 answers the exact counts.
      const written = { samples: res.appended - res.histogramsAppended, histograms: res.histogramsAppended, exemplars: exemplarsSent - failedExemplars };
      if (res.firstError !== undefined) throw PushError.fromAppend(res.firstError, tenant, this.#limiter).storing(written);
      // The samples were stored; a refused exemplar is the client's to know (400, as Cortex).
      if (res.firstExemplarError !== undefined) throw PushError.invalid(`${res.firstExemplarError.message} (tenant ${tenant})`).storing(written);
      if (metadataRefused > 0) {
        throw PushError.limit(`per-user metric metadata limit of ${this.#limiter.limits(tenant).maxMetadataPerUser} exceeded for tenant ${tenant}: ${metadataRefused} metadata entries dropped`).storing(written);
      }
    } finally {
      if (--this.#inflightPushes === 0) this.#drained?.();
    }
  }

  metadata(tenant: string): MetricMetadata[] {
    return [...(this.#metadata.get(tenant)?.values() ?? [])];
  }

  /** Every tenant's stats on this ingester (`/ingester/all_user_stats`, the AllUserStats call). */
  allUserStats(): { userId: string; data: TenantStats }[] {
    return this.tenants().map((userId) => ({ userId, data: this.stats(userId) }));
  }

  stats(tenant: string): TenantStats {
    const rate = this.#rates.get(tenant)?.rate() ?? 0;
    return { ingestionRate: rate, numSeries: this.#tsdbs.get(tenant)?.head.numSeries() ?? 0, apiIngestionRate: rate, ruleIngestionRate: 0 };
  }

  /**
   * Cuts every (or the named) tenant's whole head into blocks and ships them (`/ingester/flush`,
   * shutdown without transfer).
   */
  async flush(reason: string, tenants?: readonly string[]): Promise<void> {
    const end = this.metrics.flushDuration.startTimer();
    try {
      for (const tenant of tenants ?? this.tenants()) {
        const db = this.#tsdbs.get(tenant);
        if (db === undefined) continue;
        await db.compact(true);
        await this.#ship(tenant, db);
      }
      this.metrics.flushes.inc({ reason, outcome: 'success' });
      this.#log.info({ reason, tenants: tenants ?? 'all' }, 'flush done');
    } catch (err) {
      this.metrics.flushes.inc({ reason, outcome: 'failure' });
      throw new Error(`flush (${reason})`, { cause: err });
    } finally {
      end();
    }
  }

  /** Stops taking writes and waits for the pushes in flight to reach the WAL. */
  async stopWrites(): Promise<void> {
    this.#acceptingWrites = false;
    if (this.#inflightPushes === 0) return;
    await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#drained = undefined;
  }

  /** Opens the TSDB of a tenant received by transfer (the receiver side). */
  async tsdbForTransfer(tenant: string): Promise<UserTsdb> {
    if (this.lifecycler.state() !== InstanceState.PENDING) {
      throw PushError.unavailable(`transfer refused: this ingester is ${InstanceState[this.lifecycler.state()]}, not PENDING`);
    }
    return this.#getOrOpenTsdb(tenant);
  }

  async #getOrOpenTsdb(tenant: string): Promise<UserTsdb> {
    const open = this.#tsdbs.get(tenant);
    if (open !== undefined) return open;
    const problem = tenantIdProblem(tenant);
    if (problem !== undefined) throw PushError.invalid(problem);
    let opening = this.#opening.get(tenant);
    if (opening === undefined) {
      opening = this.#openTsdb(tenant).finally(() => this.#opening.delete(tenant));
      this.#opening.set(tenant, opening);
    }
    return opening;
  }

  async #openTsdb(tenant: string): Promise<UserTsdb> {
    const registry = new Registry();
    const db = await UserTsdb.open(this.#tsdbCfg.dir, tenant, this.#tsdbCfg, {
      logger: this.#log.child({ tenant }),
      registry,
      ulids: this.#ulids,
      now: this.#now,
      seriesRefusal: (userSeries, metricSeries) => {
        const reason = this.#limiter.seriesRefusal(tenant, userSeries, metricSeries);
        if (reason === undefined) this.metrics.seriesCreated.inc({ user: tenant });
        return reason;
      },
      maxExemplars: () => this.#limiter.maxExemplarsPerUser(tenant),
      outOfOrderTimeWindow: () => this.#limiter.limits(tenant).outOfOrderTimeWindow,
    }, this.lifecycler.id);
    this.#tenantRegistries.add(tenant, registry);
    this.#rates.set(tenant, new IngestionRate());
    this.#tsdbs.set(tenant, db);
    return db;
  }

  #storeMetadata(tenant: string, metadata: readonly MetadataEntry[]): number {
    if (metadata.length === 0) return 0;
    let byName = this.#metadata.get(tenant);
    if (byName === undefined) this.#metadata.set(tenant, (byName = new Map()));
    const max = this.#limiter.limits(tenant).maxMetadataPerUser;
    let refused = 0;
    for (const m of metadata) {
      if (!byName.has(m.metricFamilyName) && max > 0 && byName.size >= max) {
        refused++;
        continue;
      }
      byName.set(m.metricFamilyName, m);
    }
    return refused;
  }

  async #ship(tenant: string, db: UserTsdb): Promise<void> {
    const bucket = this.#deps.bucket;
    if (bucket === undefined) return;
    let shipper = this.#shippers.get(tenant);
    if (shipper === undefined) {
      shipper = new Shipper(db.dir, tenant, {
        bucket, logger: this.#log,
        onUpload: () => this.metrics.shipperUploads.inc(),
        onFailure: () => this.metrics.shipperUploadFailures.inc(),
      });
      this.#shippers.set(tenant, shipper);
    }
    await shipper.sync();
    const shipped = await shipper.shipped();
    const cutoff = this.#now() - this.#tsdbCfg.retentionPeriod;
    await db.deleteBlocks((m) => shipped.has(m.ulid) && m.maxTime < cutoff);
  }

  async #starting(signal: AbortSignal): Promise<void> {
    const started = this.#now();
    const tenants = await listTenantDirs(this.#tsdbCfg.dir);
    for (const tenant of tenants) {
      if (signal.aborted) return;
      await this.#getOrOpenTsdb(tenant);
    }
    this.metrics.walReplayDuration.set((this.#now() - started) / 1000);
    this.#log.info({ tenants: tenants.length, seconds: (this.#now() - started) / 1000 }, 'tsdbs opened and wal replayed');
    this.#acceptingWrites = true;
    this.lifecycler.service.startAsync();
    await this.lifecycler.service.awaitRunning(signal);
  }

  async #running(signal: AbortSignal): Promise<void> {
    let lastShip = this.#now();
    let lastRates = this.#now();
    const tick = Math.min(this.#tsdbCfg.headCompactionInterval, this.#cfg.rateUpdatePeriod);
    const lifecycler = this.lifecycler.service.awaitTerminated().then(
      () => { if (!signal.aborted) throw new Error('ingester lifecycler stopped'); },
    );
    lifecycler.catch(() => {});
    while (!signal.aborted) {
      await Promise.race([sleep(tick, signal), lifecycler]);
      if (signal.aborted) return;
      const now = this.#now();
      if (now - lastRates >= this.#cfg.rateUpdatePeriod) {
        for (const r of this.#rates.values()) r.tick((now - lastRates) / 1000);
        lastRates = now;
      }
      for (const [tenant, db] of [...this.#tsdbs]) {
        try {
          await db.compact(false);
        } catch (err) {
          // The head keeps the range (and its WAL), and the next interval tries again.
          this.metrics.compactionFailures.inc();
          this.#log.error({ tenant, err }, 'head compaction failed');
        }
      }
      if (this.#tsdbCfg.shipInterval > 0 && now - lastShip >= this.#tsdbCfg.shipInterval) {
        lastShip = now;
        for (const [tenant, db] of [...this.#tsdbs]) await this.#ship(tenant, db);
      }
      await this.#closeIdleTsdbs(now);
      await this.#dropDeletedTenants();
      await this.#deletions.apply(this.#tsdbs);
    }
  }

  /** Flushes, ships and releases TSDBs that have been idle past the timeout (Cortex closeIdleTSDB). */
  async #closeIdleTsdbs(now: number): Promise<void> {
    const timeout = this.#tsdbCfg.closeIdleTsdbTimeout;
    if (timeout <= 0 || this.#deps.bucket === undefined) return;
    for (const [tenant, db] of [...this.#tsdbs]) {
      if (now - db.lastUsed < timeout) continue;
      await db.compact(true);
      await this.#ship(tenant, db);
      const shipped = await (this.#shippers.get(tenant) as Shipper).shipped();
      if (db.head.numSeries() > 0 || db.blocks().some((b) => !shipped.has(b.meta.ulid)) || now - db.lastUsed < timeout) continue;
      await this.#drop(tenant, db);
      this.#log.info({ tenant }, 'closed idle tsdb');
    }
  }

  /**
   * Drops the TSDB (head, WAL and local blocks) of every tenant marked for deletion in the bucket
   * (POST /purger/delete_tenant; Cortex's tenant deletion mark): one existence check per open
   * tenant per pass. Unshipped data goes too: that is what deleting the tenant asks for.
   */
  async #dropDeletedTenants(): Promise<void> {
    const bucket = this.#deps.bucket;
    if (bucket === undefined) return;
    for (const [tenant, db] of [...this.#tsdbs]) {
      let marked: boolean;
      try {
        marked = await tenantBucket(bucket, tenant).exists(TENANT_DELETION_MARK);
      } catch (err) {
        this.#log.warn({ tenant, err }, 'checking the tenant deletion mark');
        continue;
      }
      if (!marked || this.#tsdbs.get(tenant) !== db) continue;
      await this.#drop(tenant, db);
      this.#metadata.delete(tenant);
      this.metrics.tenantsDeleted.inc();
      this.#log.info({ tenant }, 'dropped the tsdb of a tenant marked for deletion');
    }
  }

  /** Forgets a tenant's TSDB and removes its directory; a later push opens a new one. */
  async #drop(tenant: string, db: UserTsdb): Promise<void> {
    this.#tsdbs.delete(tenant);
    this.#shippers.delete(tenant);
    this.#rates.delete(tenant);
    this.#tenantRegistries.remove(tenant);
    await db.close();
    await rm(db.dir, { recursive: true, force: true });
  }

  /**
   * The `/ingester/shutdown` path: stop taking writes, flush everything to the bucket, leave and
   * unregister from the ring. Resolves when the ingester has stopped.
   */
  async shutdownAndFlush(): Promise<void> {
    this.#flushOnLeave = true;
    this.service.stopAsync();
    await this.service.awaitTerminated();
  }

  /** Runs while the lifecycler is LEAVING: transfer to a PENDING ingester, or flush. */
  async #onLeaving(): Promise<void> {
    await this.stopWrites();
    if (this.#flushOnLeave) return this.flush('shutdown_api');
    if (await this.#tryTransfer()) return;
    if (this.#tsdbCfg.flushBlocksOnShutdown) await this.flush('shutdown');
  }

  async #tryTransfer(): Promise<boolean> {
    const transferOut = this.#deps.transferOut;
    if (this.#cfg.maxTransferRetries <= 0 || transferOut === undefined || this.#tsdbs.size === 0) return false;
    const deadline = this.#now() + this.#cfg.transferTimeout;
    for (let attempt = 1; attempt <= this.#cfg.maxTransferRetries && this.#now() < deadline; attempt++) {
      const target = this.lifecycler.ring.snapshot().instances.find((d) => d.state === InstanceState.PENDING && d.id !== this.lifecycler.id);
      if (target !== undefined) {
        const end = this.metrics.transferDuration.startTimer({ direction: 'sent' });
        try {
          await transferOut(this, target);
          this.metrics.transfers.inc({ direction: 'sent', outcome: 'success' });
          end();
          this.#log.info({ to: target.id }, 'transfer done');
          return true;
        } catch (err) {
          this.metrics.transfers.inc({ direction: 'sent', outcome: 'failure' });
          this.#log.warn({ to: target.id, attempt, err }, 'transfer failed');
        }
      }
      await sleep(Math.max(0, Math.min(1000, deadline - this.#now())));
    }
    this.#log.info('no transfer happened, flushing instead');
    return false;
  }

  async #stopping(): Promise<void> {
    this.#acceptingWrites = false;
    this.lifecycler.service.stopAsync();
    try {
      await this.lifecycler.service.awaitTerminated();
    } finally {
      for (const db of this.#tsdbs.values()) await db.close();
    }
  }
}

function walWriteError(err: unknown): WalWriteError | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof WalWriteError) return e;
  return undefined;
}

/** Tenant dirs left by a previous run (their WALs are replayed at start). */
async function listTenantDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && tenantIdProblem(e.name) === undefined).map((e) => e.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`list tenant TSDBs in ${dir}`, { cause: err });
  }
}

