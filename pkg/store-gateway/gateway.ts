// The store-gateway: joins its ring, holds the blocks the ring gives it (re-syncing on every ring
// change and every sync interval), and serves them over gRPC (Cortex pkg/storegateway).
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { BucketReader } from '../bucket/index.js';
import type { StoreGatewayServer } from '../generated/myelin/storegateway.js';
import type { KVClient } from '../kv/index.js';
import type { Logger } from '../log/index.js';
import { Lifecycler, registerRingStatusPage, type InstanceDesc } from '../ring/index.js';
import { basicService, sleep, type Service } from '../services/index.js';
import { BucketStore } from './bucket-store.js';
import { newBlockCaches, type OwnedCaches } from './caches.js';
import type { BucketStoreConfig, StoreGatewayConfig } from './config.js';
import { storeGatewayHandlers } from './grpc-handlers.js';
import { blockOwners } from './sharding.js';
import { registerStoreGatewayStatusPage } from './status-page.js';

export interface StoreGatewayDeps {
  bucket: BucketReader;
  /** The KV client of the store-gateway ring. */
  ringKV: KVClient<InstanceDesc>;
  logger: Logger;
  registry: Registry;
  /** Caches to use instead of building them from config (tests). */
  caches?: OwnedCaches;
  now?: () => number;
}

/** The KV key of the store-gateway ring (Cortex' `store-gateway`). */
export const STORE_GATEWAY_RING_KEY = 'store-gateway';
export const STORE_GATEWAY_RING_NAME = 'store-gateway';

export class StoreGateway {
  readonly service: Service;
  readonly lifecycler: Lifecycler;
  readonly store: BucketStore;
  readonly #cfg: StoreGatewayConfig;
  readonly #storeCfg: BucketStoreConfig;
  readonly #deps: StoreGatewayDeps;
  readonly #log: Logger;
  readonly #caches: OwnedCaches;
  readonly #now: () => number;
  /** Set by ring changes; the running loop syncs at once when it is set. */
  #resync = new AbortController();

  constructor(cfg: StoreGatewayConfig, storeCfg: BucketStoreConfig, deps: StoreGatewayDeps) {
    this.#cfg = cfg;
    this.#storeCfg = storeCfg;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.logger.child({ component: 'store-gateway' });
    this.#caches = deps.caches ?? newBlockCaches(storeCfg, deps);
    this.store = new BucketStore(storeCfg.syncDir, {
      bucket: deps.bucket, caches: this.#caches.caches, logger: deps.logger, registry: deps.registry,
      ignoreDeletionMarksDelay: storeCfg.ignoreDeletionMarksDelay, now: this.#now,
    });
    this.lifecycler = new Lifecycler(cfg.shardingRing, cfg.shardingRing, STORE_GATEWAY_RING_NAME, STORE_GATEWAY_RING_KEY, {
      kv: deps.ringKV,
      logger: deps.logger,
      registry: deps.registry,
      ...(deps.now !== undefined ? { now: deps.now } : {}),
      // Load the owned blocks while JOINING: ACTIVE means ready to serve them.
      beforeActive: () => this.sync(),
    });
    let unsubscribe = (): void => {};
    this.service = basicService('store-gateway', {
      starting: async (signal) => {
        this.lifecycler.service.startAsync();
        await this.lifecycler.service.awaitRunning(signal);
        await this.lifecycler.awaitActive(signal);
        unsubscribe = this.lifecycler.ring.onChange(() => this.#resync.abort());
      },
      running: (signal) => this.#running(signal),
      stopping: async () => {
        unsubscribe();
        this.lifecycler.service.stopAsync();
        try {
          await this.lifecycler.service.awaitTerminated();
        } finally {
          await this.store.close();
          await this.#caches.close();
        }
      },
    });
  }

  get id(): string {
    return this.lifecycler.id;
  }

  /** Whether this instance should hold `block` now. */
  owns(_tenant: string, block: string): boolean {
    const owners = blockOwners(this.lifecycler.ring.snapshot(), block, {
      replicationFactor: this.#cfg.shardingRing.replicationFactor,
      heartbeatTimeout: this.#cfg.shardingRing.heartbeatTimeout,
      now: this.#now(),
      purpose: 'sync',
    });
    return owners.some((o) => o.id === this.lifecycler.id);
  }

  /** One sync of the held blocks against the bucket indexes and the ring. */
  sync(): Promise<void> {
    return this.store.sync((tenant, block) => this.owns(tenant, block));
  }

  async #running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const wake = AbortSignal.any([signal, this.#resync.signal]);
      await sleep(this.#storeCfg.syncInterval, wake);
      if (signal.aborted) return;
      this.#resync = new AbortController();
      try {
        await this.sync();
      } catch (err) {
        this.#log.warn({ err }, 'syncing blocks; retrying on the next interval');
      }
    }
  }

  /** Handlers to register with `server.addGrpcService(StoreGatewayService, ..., { requireTenant: true })`. */
  grpcHandlers(): StoreGatewayServer {
    return storeGatewayHandlers(this.store, (err) => this.#deps.bucket.isObjNotFoundErr(err), this.#log);
  }

  /** `GET /store-gateway/ring` (the ring) and `GET /store-gateway/status` (the held blocks). */
  registerRoutes(app: FastifyInstance): Promise<void> {
    registerStoreGatewayStatusPage(app, this.lifecycler.id, this.store);
    return registerRingStatusPage(app, '/store-gateway/ring', this.lifecycler.ring);
  }
}
