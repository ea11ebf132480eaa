// The distributor (Cortex pkg/distributor): the front door of every remote write. A push is
// decoded into columns, deduplicated by the HA tracker, validated series by series against the
// tenant's limits, rate limited, and sent to the ingesters that own each series.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { IngesterConn } from '../ingester/client/index.js';
import type { KVClient } from '../kv/index.js';
import type { Overrides } from '../limits/index.js';
import type { Logger } from '../log/index.js';
import { stringEqualsUtf8 } from '../model/labels/index.js';
import { Write, type ReadRing } from '../ring/index.js';
import { ClientPool } from '../ring/client/index.js';
import { basicService, abortedPromise, type Service } from '../services/index.js';
import { Histogram as WireHistogram } from '../generated/prometheus/types.js';
import { WriteRequest } from '../generated/prometheus/remote.js';
import { forgetDecoded, histogramToWire, rememberDecoded, replaceSeriesHistograms, snappyDecode, WireError, WriteRequestDecoder, WriteV2Decoder, type DecodedWrite, type HistogramSample, type WirePieces } from '../wire/index.js';
import type { DistributorConfig } from './config.js';
import { DiscardReason, ValidationError } from './discard.js';
import { HaTracker, ReplicasNotMatchError, type ReplicaDesc } from './ha-tracker.js';
import { registerDistributorRoutes, type TenantOf } from './http.js';
import { DistributorMetrics } from './metrics.js';
import { answerFor, RateLimitedError, type PushAnswer, type Written } from './push-error.js';
import { RateLimiter, strategyRate } from './rate-limiter.js';
import { PartialWriteError, sendToIngesters, type Accepted } from './send.js';
import { metadataToken, seriesToken } from './shard-token.js';
import { checkExemplar, checkMetadata, exemplarError, metadataError, SeriesValidator } from './validate.js';
import { HistogramValidator } from './validate-histograms.js';
import { decodeOtlpBody, type OtlpFormat } from './otlp-request.js';
import { translateMetrics, type Translated } from './otlp-translate.js';

export interface DistributorDeps {
  limits: Overrides;
  /** The ingester ring (a live Ring in production). */
  ingesterRing: ReadRing;
  /** Creates the client of an ingester address; the distributor pools them. */
  clientFactory: (addr: string) => IngesterConn;
  /** The HA tracker's store; required when -distributor.ha-tracker.enable is true. */
  haKV?: KVClient<ReplicaDesc>;
  /** The distributor ring, counted by the global rate strategy; without it, one distributor. */
  distributorRing?: ReadRing;
  registry: Registry;
  logger: Logger;
  now?: () => number;
}

/** The remote write message a push carries: 1.0's prometheus.WriteRequest or 2.0's io.prometheus.write.v2.Request. */
export type WriteProtocol = 'v1' | 'v2';

export class Distributor {
  readonly cfg: DistributorConfig;
  readonly limits: Overrides;
  readonly ingesterRing: ReadRing;
  readonly pool: ClientPool<IngesterConn>;
  readonly haTracker: HaTracker | undefined;
  readonly metrics: DistributorMetrics;
  readonly log: Logger;
  readonly #distributorRing: ReadRing | undefined;
  readonly #now: () => number;
  readonly #ingestionLimiter: RateLimiter;
  readonly #requestLimiter: RateLimiter;
  readonly #validator = new SeriesValidator();
  readonly #histogramValidator = new HistogramValidator();
  readonly #decoders: WriteRequestDecoder[] = [];
  readonly #decodersV2: WriteV2Decoder[] = [];

  constructor(cfg: DistributorConfig, deps: DistributorDeps) {
    this.cfg = cfg;
    this.limits = deps.limits;
    this.ingesterRing = deps.ingesterRing;
    this.#distributorRing = deps.distributorRing;
    this.#now = deps.now ?? Date.now;
    this.log = deps.logger.child({ component: 'distributor' });
    this.metrics = new DistributorMetrics(deps.registry);
    this.pool = new ClientPool(
      { checkInterval: cfg.pool.clientCleanupPeriod, healthCheckEnabled: cfg.pool.healthCheckIngesters, healthCheckTimeout: cfg.remoteTimeout },
      {
        factory: deps.clientFactory,
        addresses: () => this.ingesterRing.snapshot().instances.map((i) => i.addr),
        logger: deps.logger,
        registry: deps.registry,
        name: 'distributor_ingester',
      },
    );
    if (cfg.haTracker.enableHaTracker) {
      if (deps.haKV === undefined) throw new Error('BUG: the HA tracker is enabled but no KV client was given');
      this.haTracker = new HaTracker(cfg.haTracker, deps.haKV, { logger: deps.logger, registry: deps.registry, now: this.#now });
    } else this.haTracker = undefined;
    this.#ingestionLimiter = new RateLimiter((tenant) => {
      const l = this.limits.limits(tenant);
      return { rate: strategyRate(l.ingestionRateStrategy, l.ingestionRate, this.#healthyDistributors()), burst: l.ingestionBurstSize };
    });
    this.#requestLimiter = new RateLimiter((tenant) => {
      const l = this.limits.limits(tenant);
      return { rate: strategyRate(l.ingestionRateStrategy, l.requestRate, this.#healthyDistributors()), burst: l.requestBurstSize };
    });
  }

  #healthyDistributors(): number {
    return this.#distributorRing === undefined ? 1 : this.#distributorRing.getAllHealthy(Write).instances.length;
  }

  /** Runs the client pool's checks and the HA tracker's watch. */
  service(): Service {
    const subs = [this.pool.service(), ...(this.haTracker === undefined ? [] : [this.haTracker.service()])];
    return basicService('distributor', {
      starting: async () => {
        for (const s of subs) s.startAsync();
        await Promise.all(subs.map((s) => s.awaitRunning()));
      },
      running: async (signal) => abortedPromise(signal),
      stopping: async () => {
        for (const s of subs) s.stopAsync();
        await Promise.allSettled(subs.map((s) => s.awaitTerminated()));
      },
    });
  }

  /**
   * Adds POST /api/v1/push (and under /prometheus and `legacyPrefix`), GET /api/v1/user_stats
   * (and `<legacyPrefix>/user_stats`), /distributor/ha_tracker, /distributor/all_user_stats.
   */
  registerRoutes(app: FastifyInstance, tenantOf: TenantOf, legacyPrefix = ''): void {
    registerDistributorRoutes(app, this, tenantOf, legacyPrefix);
  }

  /**
   * Handles one remote-write body (a snappy-compressed 1.0 WriteRequest, or 2.0 Request when
   * `protocol` says so) of `tenant`. Never throws.
   */
  async push(tenant: string, body: Buffer, protocol: WriteProtocol = 'v1'): Promise<PushAnswer> {
    return this.#guarded(tenant, async (now) => {
      const d = protocol === 'v2' ? (this.#decodersV2.pop() ?? new WriteV2Decoder()) : (this.#decoders.pop() ?? new WriteRequestDecoder({ labelStrings: false }));
      try {
        d.decode(snappyDecode(body, this.cfg.maxRecvMsgSize));
        return await this.#pushDecoded(tenant, d, now);
      } finally {
        if (d instanceof WriteV2Decoder) this.#decodersV2.push(d);
        else this.#decoders.push(d);
      }
    });
  }

  /**
   * Handles one OTLP/HTTP metrics export of `tenant`: translated into a remote write request, it
   * takes the same way as one. `translated` is set once the body could be read. Never throws.
   */
  async pushOtlp(tenant: string, body: Buffer, format: OtlpFormat, gzipped: boolean): Promise<{ answer: PushAnswer; translated?: Translated }> {
    let translated: Translated | undefined;
    const answer = await this.#guarded(tenant, async (now) => {
      const req = await decodeOtlpBody(body, format, gzipped, this.cfg.maxRecvMsgSize);
      const l = this.limits.limits(tenant);
      const settings = { suffixes: l.otelMetricSuffixesEnabled, promote: l.promoteOtelResourceAttributes, keepIdentifying: l.otelKeepIdentifyingResourceAttributes };
      const t = translateMetrics(req, settings, 2 * this.cfg.maxRecvMsgSize);
      translated = t;
      if (t.rejected > 0) this.metrics.discardedSamples.inc({ reason: DiscardReason.OtlpUntranslatable, user: tenant }, t.rejected);
      const d = this.#decoders.pop() ?? new WriteRequestDecoder({ labelStrings: false });
      try {
        const bytes = WriteRequest.encode(t.write).finish();
        d.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return await this.#pushDecoded(tenant, d, now);
      } finally {
        this.#decoders.push(d);
      }
    });
    return { answer, translated };
  }

  /** Counts a push and applies the request rate limit around `handle`; answers its errors. */
  async #guarded(tenant: string, handle: (now: number) => Promise<PushAnswer>): Promise<PushAnswer> {
    const m = this.metrics;
    m.requestsIn.inc({ user: tenant });
    const now = this.#now();
    if (!this.#requestLimiter.allow(tenant, 1, now)) {
      m.discardedRequests.inc({ reason: 'rate_limited', user: tenant });
      const l = this.limits.limits(tenant);
      return { status: 429, message: `request rate limit (${l.requestRate}/s, burst ${l.requestBurstSize}) exceeded` };
    }
    try {
      return await handle(now);
    } catch (err) {
      // A body that is not a request is counted as a whole: its samples are unknown.
      if (err instanceof WireError) m.discardedRequests.inc({ reason: err.code, user: tenant });
      const answer = answerFor(err);
      if (answer.status >= 500) this.log.warn({ tenant, err }, 'push failed');
      return answer;
    }
  }

  async #pushDecoded(tenant: string, d: DecodedWrite, now: number): Promise<PushAnswer> {
    const m = this.metrics;
    const limits = this.limits.limits(tenant);
    m.samplesIn.inc({ user: tenant }, samplesOf(d));
    m.exemplarsIn.inc({ user: tenant }, d.exemplarCount);
    m.metadataIn.inc({ user: tenant }, d.metadata.length);
    const replicaLabel = await this.#haCheck(tenant, d);
    if (replicaLabel === null) return { status: 202, message: 'samples from a non-elected HA replica were dropped' };

    let firstErr: ValidationError | undefined;
    const refused: number[] = [];
    const series: number[] = [];
    const tokens: number[] = [];
    const counts: number[] = [];
    const written: Written = { samples: 0, histograms: 0, exemplars: 0 };
    let rewritten: Map<number, Buffer> | undefined;
    const v = this.#validator;
    const hv = this.#histogramValidator;
    const minExemplarT = limits.rejectOldSamples ? now - limits.rejectOldSamplesMaxAge : -Infinity;
    for (let i = 0; i < d.seriesCount; i++) {
      const from = d.labelsStart[i];
      const to = d.labelsStart[i + 1];
      // Float and histogram samples, counted alike (ingestion rate, received and discarded samples).
      const n = d.samplesStart[i + 1] - d.samplesStart[i] + d.histograms[i];
      const reason = v.check(d, i, limits, now, replicaLabel);
      if (reason !== undefined) {
        m.discardedSamples.inc({ reason, user: tenant }, n);
        firstErr ??= v.error(reason, d, i, limits, replicaLabel);
        refused.push(i);
        continue;
      }
      const hReason = hv.check(d, i, limits, now);
      if (hReason !== undefined) {
        m.discardedSamples.inc({ reason: hReason, user: tenant }, n);
        firstErr ??= hv.error(hReason, d, i, limits, replicaLabel);
        refused.push(i);
        continue;
      }
      // A bad exemplar is dropped and named in the answer; its series and the other exemplars go on.
      let drop: number[] | undefined;
      for (let e = d.exemplarsStart[i]; e < d.exemplarsStart[i + 1]; e++) {
        const bad = checkExemplar(d, e, minExemplarT);
        if (bad === undefined) continue;
        m.discardedExemplars.inc({ reason: bad, user: tenant });
        firstErr ??= exemplarError(bad, d, i, e, limits, replicaLabel);
        (drop ??= []).push(e);
      }
      const kept = d.exemplarsStart[i + 1] - d.exemplarsStart[i] - (drop === undefined ? 0 : drop.length);
      // Nothing left to store (Prometheus sends exemplars in series entries of their own).
      if (n === 0 && kept === 0 && drop !== undefined) continue;
      // A series whose exemplars or histograms change is sent as 1.0 bytes of its own (v1Pieces
      // drops the HA replica label from those too).
      let own = drop === undefined ? undefined : d.v1Series(i, drop);
      if (hv.reduced !== undefined) {
        m.reducedResolutionHistograms.inc({ user: tenant }, hv.reducedCount);
        own = withHistograms(own ?? d.v1Series(i, []), hv.reduced);
      }
      if (own !== undefined) (rewritten ??= new Map()).set(i, own);
      series.push(i);
      tokens.push(seriesToken(tenant, d.buf, d.labelRanges, from, to, replicaLabel));
      counts.push(n - d.histograms[i], d.histograms[i], kept);
      written.samples += n - d.histograms[i];
      written.histograms += d.histograms[i];
      written.exemplars += kept;
    }
    const metadata: number[] = [];
    for (let j = 0; j < d.metadata.length; j++) {
      const md = d.metadata[j];
      const reason = checkMetadata(md, limits);
      if (reason !== undefined) {
        m.discardedMetadata.inc({ reason, user: tenant });
        firstErr ??= metadataError(reason, md, limits);
        continue;
      }
      metadata.push(j);
      tokens.push(metadataToken(tenant, md.metricFamilyName));
      counts.push(0, 0, 0);
    }
    const samples = written.samples + written.histograms;
    const exemplars = written.exemplars;
    // Exemplars count toward the ingestion rate, as in Cortex.
    if (!this.#ingestionLimiter.allow(tenant, samples + exemplars + metadata.length, now)) {
      m.discardedSamples.inc({ reason: 'rate_limited' satisfies DiscardReason, user: tenant }, samples);
      m.discardedExemplars.inc({ reason: 'rate_limited' satisfies DiscardReason, user: tenant }, exemplars);
      m.discardedMetadata.inc({ reason: 'rate_limited' satisfies DiscardReason, user: tenant }, metadata.length);
      throw new RateLimitedError(
        `ingestion rate limit (${limits.ingestionRate}/s, ${limits.ingestionRateStrategy} strategy, burst ${limits.ingestionBurstSize}) exceeded while adding ${samples} samples, ${exemplars} exemplars and ${metadata.length} metadata`,
      );
    }
    let firstMessage = firstErr?.message;
    if (tokens.length > 0) {
      // A 1.0 request taken whole and unchanged goes to the ingesters as it came; an ingester in
      // this thread then reads this decoder's columns instead of decoding it again.
      const whole = d instanceof WriteRequestDecoder && series.length === d.seriesCount && rewritten === undefined && replicaLabel === '' &&
        metadata.length === d.metadata.length ? d : undefined;
      let pieces: WirePieces | undefined;
      const accepted: Accepted = {
        keys: Uint32Array.from(tokens),
        // Only for ingesters that get part of the request, or a request too large for one message.
        pieces: () => (pieces ??= d.v1Pieces(series, metadata, replicaLabel, rewritten)),
        counts: Uint32Array.from(counts),
        whole: whole?.buf,
      };
      const ring = limits.ingestionTenantShardSize > 0 ? this.ingesterRing.shuffleShard(tenant, limits.ingestionTenantShardSize) : this.ingesterRing;
      if (whole !== undefined) rememberDecoded(whole.buf, whole);
      try {
        await sendToIngesters(ring, tenant, accepted, { pool: this.pool, metrics: m, timeout: this.cfg.remoteTimeout });
      } catch (err) {
        if (!(err instanceof PartialWriteError)) throw err;
        // The ingesters refused some (counted in their discard metrics) and stored the rest.
        Object.assign(written, err.written);
        firstMessage ??= answerFor(err.cause).message;
      } finally {
        if (whole !== undefined) forgetDecoded(whole.buf);
      }
      m.receivedSamples.inc({ user: tenant }, written.samples + written.histograms);
      m.receivedExemplars.inc({ user: tenant }, written.exemplars);
      m.receivedMetadata.inc({ user: tenant }, metadata.length);
    }
    if (firstMessage === undefined) return { status: 200, message: '', written };
    return { status: 400, message: `${firstMessage}${notWritten(d, written)}`, written, refusedSeries: refused };
  }

  /**
   * Applies the HA tracker to a request: the replica label to drop ('' when none), or null when
   * the request comes from a non-elected replica. Cluster and replica are read from the first
   * series, as Cortex does: one request comes from one Prometheus.
   */
  async #haCheck(tenant: string, d: DecodedWrite): Promise<string | null> {
    const limits = this.limits.limits(tenant);
    if (this.haTracker === undefined || !limits.acceptHaSamples || d.seriesCount === 0) return '';
    const cluster = labelValue(d, 0, limits.haClusterLabel);
    const replica = labelValue(d, 0, limits.haReplicaLabel);
    if (cluster === undefined || replica === undefined) {
      this.metrics.nonHaSamples.inc({ user: tenant }, samplesOf(d));
      return '';
    }
    try {
      await this.haTracker.checkReplica(tenant, cluster, replica, limits.haMaxClusters);
    } catch (err) {
      if (err instanceof ReplicasNotMatchError) {
        this.metrics.dedupedSamples.inc({ user: tenant, cluster }, samplesOf(d));
        return null;
      }
      if (err instanceof ValidationError) this.metrics.discardedSamples.inc({ reason: err.reason, user: tenant }, samplesOf(d));
      throw err;
    }
    return limits.haReplicaLabel;
  }
}

/** The index (in the request) of series i's label `name`, or -1. */
function labelIndex(d: DecodedWrite, i: number, name: string): number {
  const r = d.labelRanges;
  for (let l = d.labelsStart[i]; l < d.labelsStart[i + 1]; l++) if (stringEqualsUtf8(name, d.buf, r[4 * l], r[4 * l + 1])) return l;
  return -1;
}

function labelValue(d: DecodedWrite, i: number, name: string): string | undefined {
  const l = labelIndex(d, i, name);
  return l < 0 ? undefined : d.buf.toString('utf8', d.labelRanges[4 * l + 2], d.labelRanges[4 * l + 3]);
}

/** A series (its whole `timeseries` field) with its histograms replaced by `hs`. */
function withHistograms(series: Buffer, hs: readonly HistogramSample[]): Buffer {
  return replaceSeriesHistograms(series, 0, series.length, hs.map((h) => WireHistogram.encode(histogramToWire(h)).finish()));
}

/** The 400 message's account of what a request had that was not stored. */
function notWritten(d: DecodedWrite, w: Written): string {
  const floats = d.sampleCount;
  const hs = d.hs.length;
  return ` (not written: ${floats - w.samples} of ${floats} samples, ${hs - w.histograms} of ${hs} histograms, ${d.exemplarCount - w.exemplars} of ${d.exemplarCount} exemplars)`;
}

/** Float and native histogram samples of a request (Cortex counts both as samples). */
function samplesOf(d: DecodedWrite): number {
  return d.sampleCount + d.hs.length;
}
