import { networkInterfaces } from 'node:os';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { newBucket } from '../bucket/index.js';
import { Ingester, IngesterShards, TransferReceiver, ingesterGrpcService, ingesterServiceDefinition, registerIngesterRoutes, shardConfigs, shardCount, transferOutVia } from '../ingester/index.js';
import { Distributor } from '../distributor/index.js';
import type { ReplicaDesc } from '../distributor/index.js';
import { MemoryStore, MultiClient, createKVClient, jsonCodec } from '../kv/index.js';
import type { Codec, KVClient, KVConfig } from '../kv/index.js';
import { prometheusApi } from '../api/prometheus/index.js';
import type { ApiExecutor } from '../api/prometheus/index.js';
import { IngesterConn } from '../ingester/client/index.js';
import { QueryWorkers, workerCount } from '../querier/worker/index.js';
import { Frontend, FrontendService, MergePool, frontendGrpcService, openResultsCache } from '../query-frontend/index.js';
import { FrontendWorker } from '../query-frontend/client/index.js';
import { BucketIndexUpdater } from '../bucket-index/index.js';
import { deleteSeriesApi } from '../purger/index.js';
import { BlocksCleaner, Compactor, blockUploadService, registerBlockUploadRoutes, registerCompactorStatusPage, registerTenantDeletionApi } from '../compactor/index.js';
import { STORE_GATEWAY_RING_KEY, STORE_GATEWAY_RING_NAME, StoreGateway, StoreGatewayService } from '../store-gateway/index.js';
import { Lifecycler, Ring, instanceAddr, instanceDescCodec, registerRingStatusPage } from '../ring/index.js';
import type { LifecyclerConfig } from '../ring/index.js';
import { Overrides } from '../limits/index.js';
import { ConfigError } from '../flagext/index.js';
import type { Logger } from '../log/index.js';
import { ModuleManager } from '../modules/index.js';
import { RuntimeConfigManager } from '../runtime-config/index.js';
import { Server, type InProcessGrpcClients } from '../server/index.js';
import type { IngesterClient } from '../generated/myelin/ingester.js';
import { ServiceManager, compositeService, idleService } from '../services/index.js';
import type { Service, State } from '../services/index.js';
import { TenantResolver, TenantSeparator } from '../tenant/index.js';
import { queryPage, registerUiAssets } from '../ui/index.js';
import { BucketRuleStore, LocalRuleStore, Ruler, RulerPeers, RulerRing, RulerService, distributorAppend, groupJson, rulerGrpcHandlers, registerRuleConfigApi, registerRulesApi, ruleQueries } from '../ruler/index.js';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { registerBuildInfo, version } from './build-info.js';
import type { MyelinConfig } from './config.js';
import { Module, internalModules, moduleDeps } from './modules.js';
import type { ModuleName } from './modules.js';
import { registerStatusRoutes } from './status.js';
import type { IndexLink } from './status.js';
import { validateConfig } from './validate.js';

/**
 * The composition root (Cortex pkg/cortex): builds the modules that `-target` selects, wires them
 * together, and runs them as one set of services.
 */
export class Myelin {
  readonly cfg: MyelinConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly tenants: TenantResolver;
  readonly links: IndexLink[] = [];
  /** The in-memory KV store every ring of this process shares when its store is `inmemory`. */
  readonly memoryKv = new MemoryStore();
  #ingester: Ingester | undefined;
  #ingesterShards: IngesterShards | undefined;
  #inThreadClients: InProcessGrpcClients | undefined;
  /** Metrics of this process's worker threads, added to /metrics. */
  readonly #workerMetrics: Array<() => Promise<MetricObjectWithValues<MetricValue<string>>[][]>> = [];
  #ingesterRing: Ring | undefined;
  /** The page `/` shows: the query page when this process runs a querier. */
  #home: (() => string) | undefined;
  #hasDistributor = false;
  #distributor: Distributor | undefined;
  /** The querier's executor (its query workers), for the ruler. */
  #queryExecute: ApiExecutor | undefined;
  /** This process's query workers and query-frontend, when it runs them (the frontend hands work to the former). */
  #queryWorkers: QueryWorkers | undefined;
  #frontend: Frontend | undefined;
  readonly #localQuerier = new AbortController();
  #shutdownRequested: () => void = () => {};
  #server: Server | undefined;
  #runtimeConfig: RuntimeConfigManager | undefined;
  #overrides: Overrides | undefined;
  #services = new Map<string, Service>();
  #manager: ServiceManager | undefined;
  readonly #mm = new ModuleManager();

  get ingester(): Ingester {
    return this.#ingester ?? bug('ingester');
  }

  constructor(cfg: MyelinConfig, logger: Logger) {
    this.cfg = cfg;
    this.logger = logger;
    this.registry = new Registry();
    collectDefaultMetrics({ register: this.registry });
    registerBuildInfo(this.registry);
    this.tenants = new TenantResolver({ authEnabled: cfg.authEnabled });
    this.#registerModules();
  }

  get server(): Server {
    return this.#server ?? bug('server');
  }

  get overrides(): Overrides {
    return this.#overrides ?? bug('overrides');
  }

  /**
   * Checks -target against the module names a user may ask for, then every config section the
   * selected modules read, before any of them starts. Throws a ConfigError naming the key path.
   */
  validate(): void {
    const visible = this.#mm.userVisibleModules();
    for (const t of this.cfg.target) {
      if (!this.#mm.isUserVisible(t)) throw new ConfigError('target', `unknown module ${JSON.stringify(t)}; valid: ${visible.join(', ')}`);
    }
    validateConfig(this.cfg, new Set(this.#mm.dependencyOrder(this.cfg.target) as ModuleName[]));
  }

  /** Validates the config, initialises the selected modules and starts them; resolves once all are Running. */
  async start(): Promise<void> {
    this.validate();
    this.#services = await this.#mm.initModuleServices(this.cfg.target);
    this.#manager = new ServiceManager([...this.#services.values()]);
    this.#manager.startAsync();
    await this.#manager.awaitHealthy();
  }

  /** Calls `fn` when a module asks for the process to stop (`POST /ingester/shutdown`). */
  onShutdownRequest(fn: () => void): void {
    this.#shutdownRequested = fn;
  }

  /** Calls `fn` when any module stops on its own, cleanly. */
  onModuleStopped(fn: (module: string) => void): void {
    (this.#manager ?? bug('service manager')).onTerminated(fn);
  }

  /** Calls `fn` when any module fails. */
  onFailure(fn: (module: string, err: Error) => void): void {
    (this.#manager ?? bug('service manager')).onFailure(fn);
  }

  /** Stops every module, dependents before dependencies, and waits for them. */
  async stop(): Promise<void> {
    if (this.#manager === undefined) return;
    this.#manager.stopAsync();
    await this.#manager.awaitStopped();
  }

  states(): Map<string, State> {
    return new Map([...this.#services].map(([name, svc]) => [name, svc.state()]));
  }

  #registerModules(): void {
    const inits: Record<ModuleName, () => Service | null | Promise<Service | null>> = {
      [Module.Server]: () => this.#initServer(),
      [Module.RuntimeConfig]: () => this.#initRuntimeConfig(),
      [Module.Overrides]: () => this.#initOverrides(),
      [Module.Ring]: () => this.#initRing(),
      [Module.Distributor]: () => this.#initDistributor(),
      [Module.Ingester]: () => this.#initIngester(),
      [Module.Querier]: () => this.#initQuerier(),
      [Module.StoreGateway]: () => this.#initStoreGateway(),
      [Module.Compactor]: () => this.#initCompactor(),
      [Module.QueryFrontend]: () => this.#initQueryFrontend(),
      [Module.Ruler]: () => this.#initRuler(),
      [Module.All]: () => null,
    };
    for (const [name, init] of Object.entries(inits) as [ModuleName, () => Service | null | Promise<Service | null>][]) {
      this.#mm.register(name, init, { userVisible: !internalModules.has(name) });
      this.#mm.addDependencies(name, moduleDeps[name]);
    }
  }

  #initServer(): Service {
    const server = new Server(this.cfg.server, { logger: this.logger, registry: this.registry, tenants: this.tenants });
    registerStatusRoutes(server.http, {
      config: this.cfg,
      registry: this.registry,
      states: () => this.states(),
      runtimeConfigYaml: (mode) => this.#runtimeConfig?.yaml(mode) ?? '',
      notReady: async () => this.#ingester?.notReadyReason() ?? this.#ingesterShards?.notReadyReason(),
      workerMetrics: async () => (await Promise.all(this.#workerMetrics.map((f) => f()))).flat(),
      home: () => this.#home?.(),
    }, () => this.links);
    server.setHealthCheck('', () => {
      const states = [...this.states().values()];
      return states.length > 0 && states.every((st) => st === 'Running');
    });
    this.#server = server;
    return server.service();
  }

  #initRuntimeConfig(): Service {
    this.#runtimeConfig = new RuntimeConfigManager(this.cfg.runtimeConfig, {
      limitsDefaults: this.cfg.limits,
      logger: this.logger.child({ component: 'runtime-config' }),
      registry: this.registry,
    });
    return this.#runtimeConfig.service();
  }

  #initOverrides(): null {
    const rc = this.#runtimeConfig ?? bug('runtime config');
    this.#overrides = new Overrides(this.cfg.limits, () => rc.current().overrides);
    return null;
  }

  async #initStoreGateway(): Promise<Service> {
    const cfg = this.cfg.storeGateway;
    this.#defaultInstanceAddr(cfg.shardingRing);
    const sg = new StoreGateway(cfg, this.cfg.blocksStorage.bucketStore, {
      bucket: newBucket(this.cfg.blocksStorage, { reg: this.registry, name: 'store-gateway' }),
      ringKV: this.#kvClient(cfg.shardingRing.kvstore, instanceDescCodec, 'store-gateway-ring'),
      logger: this.logger,
      registry: this.registry,
    });
    this.server.addGrpcService(StoreGatewayService, sg.grpcHandlers(), { requireTenant: true });
    this.server.inProcess.advertise(cfg.shardingRing.addr);
    await sg.registerRoutes(this.server.http);
    this.links.push(
      { section: 'Store-gateway', title: 'Ring status', path: '/store-gateway/ring' },
      { section: 'Store-gateway', title: 'Tenants and loaded blocks', path: '/store-gateway/status' },
    );
    return sg.service;
  }

  /**
   * The compactor (run exactly one): compacts every tenant's blocks and marks the sources, and its
   * blocks cleaner deletes marked and partial blocks, applies retention and is the one writer of
   * the bucket indexes, as in Cortex.
   */
  async #initCompactor(): Promise<Service> {
    const bucket = newBucket(this.cfg.blocksStorage, { reg: this.registry, name: 'compactor' });
    const compactor = new Compactor(this.cfg.compactor, {
      bucket,
      logger: this.logger,
      registry: this.registry,
      ingesterBlockRange: this.cfg.blocksStorage.tsdb.blockRangesPeriod,
      deleteRequestCancelPeriod: this.cfg.purger.deleteRequestCancelPeriod,
    });
    const indexUpdater = new BucketIndexUpdater({ bucket, logger: this.logger, registry: this.registry });
    const cleaner = new BlocksCleaner(this.cfg.compactor, {
      bucket,
      indexUpdater,
      retention: (tenant) => this.overrides.limits(tenant).compactorBlocksRetentionPeriod,
      logger: this.logger,
      registry: this.registry,
    });
    registerCompactorStatusPage(this.server.http, compactor);
    registerTenantDeletionApi(this.server.http, { bucket, tenantOf: (req) => this.server.tenant(req), logger: this.logger });
    await this.server.http.register(deleteSeriesApi, {
      prefix: this.cfg.api.prometheusHttpPrefix.replace(/\/$/, ''),
      bucket,
      tenantOf: (req) => this.server.tenant(req),
      enabled: (tenant) => this.overrides.limits(tenant).seriesDeletionEnabled,
      cancelPeriod: this.cfg.purger.deleteRequestCancelPeriod,
      logger: this.logger,
      registry: this.registry,
    });
    this.links.push({ section: 'Compactor', title: 'Compactor status', path: '/compactor/status' });
    const upload = blockUploadService(this.cfg.compactor, { bucket, indexUpdater, overrides: this.overrides, logger: this.logger, registry: this.registry });
    await registerBlockUploadRoutes(this.server.http, upload.uploader, (req) => this.server.tenant(req));
    return compositeService('compactor', [cleaner.service(this.cfg.blocksStorage.bucketStore.bucketIndex.updateInterval), compactor.service(), upload.service]);
  }

  /**
   * A KV client for one ring or tracker, on the process's shared in-memory store when its
   * `kvstore.store` is `inmemory`; a `multi` client follows the runtime config's multi_kv_config.
   */
  #kvClient<T>(cfg: KVConfig, codec: Codec<T>, kvName: string): KVClient<T> {
    const client = createKVClient(cfg, codec, { memory: this.memoryKv, logger: this.logger, registry: this.registry, kvName });
    if (client instanceof MultiClient) {
      const rc = this.#runtimeConfig ?? bug('runtime config');
      client.applyRuntimeConfig(rc.current().multiKv);
      rc.onChange((v) => client.applyRuntimeConfig(v.multiKv));
    }
    return client;
  }

  /** Cortex's -http.prefix without a trailing slash; '' serves nothing under it. */
  #legacyPrefix(): string {
    return this.cfg.httpPrefix.replace(/\/$/, '');
  }

  /**
   * A client of the ingester at `addr` when it is this process's (in this thread, or a shard
   * thread): pushes then skip the loopback socket. Undefined for other processes' ingesters.
   */
  #inProcessIngester(addr: string): IngesterClient | undefined {
    const inThread = (this.#inThreadClients ??= this.server.inProcess.clients());
    if (inThread.serves(addr)) return inThread.client(ingesterServiceDefinition) as IngesterClient;
    return this.#ingesterShards?.inProcessClient(addr);
  }

  /**
   * The host:port a ring member registers: its address and port as configured, else this
   * process's advertised host and gRPC port (Cortex does the same).
   */
  #defaultInstanceAddr(lifecycler: LifecyclerConfig): void {
    lifecycler.addr = instanceAddr(lifecycler, () => advertiseHost(this.cfg.server.grpcListenAddress), this.cfg.server.grpcListenPort);
  }

  /**
   * The process's client of the ingester ring (its own watch), for distributors and queriers; its
   * status page is served by every process that has it, as Cortex does.
   */
  async #initRing(): Promise<Service> {
    const ringCfg = this.cfg.ingester.lifecycler.ring;
    this.#ingesterRing = new Ring(ringCfg, 'ingester', 'ingester', {
      kv: this.#kvClient(ringCfg.kvstore, instanceDescCodec, 'ingester-ring-client'),
      logger: this.logger,
      registry: this.registry,
    });
    await registerRingStatusPage(this.server.http, '/ingester/ring', this.#ingesterRing);
    this.links.push({ section: 'Ingester', title: 'Ring status', path: '/ingester/ring' });
    return this.#ingesterRing.service;
  }

  async #initDistributor(): Promise<Service> {
    const cfg = this.cfg.distributor;
    const ha = cfg.haTracker;
    // Distributors register in their own ring so the global rate strategy can divide a tenant's
    // limit by the healthy distributors (Cortex's distributor ring).
    this.#defaultInstanceAddr(cfg.ring);
    const lifecycler = new Lifecycler(cfg.ring, cfg.ring, 'distributor', 'distributor', {
      kv: this.#kvClient(cfg.ring.kvstore, instanceDescCodec, 'distributor-ring'),
      logger: this.logger,
      registry: this.registry,
    });
    const distributor = new Distributor(cfg, {
      limits: this.overrides,
      ingesterRing: this.#ingesterRing ?? bug('ingester ring'),
      clientFactory: (addr) => new IngesterConn(this.cfg.ingesterClient, addr, this.#inProcessIngester(addr)),
      haKV: ha.enableHaTracker
        ? this.#kvClient(ha.kvstore, jsonCodec<ReplicaDesc>(), 'distributor-ha-tracker')
        : undefined,
      distributorRing: lifecycler.ring,
      registry: this.registry,
      logger: this.logger,
    });
    distributor.registerRoutes(this.server.http, (req) => this.server.tenant(req), this.#legacyPrefix());
    await registerRingStatusPage(this.server.http, '/distributor/ring', lifecycler.ring);
    this.#hasDistributor = true;
    this.#distributor = distributor;
    this.links.push(
      { section: 'Distributor', title: 'Ring status', path: '/distributor/ring' },
      { section: 'Distributor', title: 'HA tracker status', path: '/distributor/ha_tracker' },
      { section: 'Distributor', title: 'Usage statistics', path: '/distributor/all_user_stats' },
    );
    return compositeService('distributor', [lifecycler.service, distributor.service()]);
  }

  /**
   * The querier: the Prometheus API on this thread, every request run by a pool of query workers
   * that each hold the read path (docs/architecture.md, "Process model"). The rings are watched
   * here and mirrored into the workers.
   */
  async #initQuerier(): Promise<Service> {
    const ring = this.#ingesterRing ?? bug('ingester ring');
    const qcfg = this.cfg.querier;
    const sgRingCfg = this.cfg.storeGateway.shardingRing;
    const sgRing = new Ring(sgRingCfg, STORE_GATEWAY_RING_NAME, STORE_GATEWAY_RING_KEY, {
      kv: this.#kvClient(sgRingCfg.kvstore, instanceDescCodec, 'store-gateway-ring-client'),
      logger: this.logger,
      registry: this.registry,
    });
    const ingRingCfg = this.cfg.ingester.lifecycler.ring;
    const workers = new QueryWorkers(qcfg, {
      workerData: {
        readPath: { querier: qcfg, ingesterClient: this.cfg.ingesterClient, blocksStorage: this.cfg.blocksStorage, storeGatewayRing: sgRingCfg },
        ingesterRing: ingRingCfg,
        storeGatewayRing: sgRingCfg,
        log: { level: this.cfg.server.logLevel, format: this.cfg.server.logFormat },
      },
      ingesterRing: ring,
      storeGatewayRing: sgRing,
      limits: (tenant) => this.overrides.limits(tenant),
      partialResponse: (tenant) => this.overrides.limits(tenant).partialResponse,
      logger: this.logger,
      registry: this.registry,
      // A worker that exits before it heard the addresses needs none: its calls fail with it.
      connect: (rpc) => void this.server.inProcess.serve(rpc).catch(() => {}),
    });
    this.#workerMetrics.push(() => workers.metricsJson());
    this.#queryExecute = workers.execute;
    this.#queryWorkers = workers;
    const services = [sgRing.service, workers.service()];
    // With a frontend in this process, the frontend serves the API and hands requests to these workers.
    if (this.#runsFrontend()) this.#connectLocalQuerier();
    else await this.#registerPrometheusApi(workers.execute, 'Querier');
    const fw = this.cfg.frontendWorker;
    if (fw.frontendAddress !== '') {
      const worker = new FrontendWorker(fw, {
        execute: workers.execute,
        maxConcurrent: workerCount(qcfg.maxConcurrent),
        defaultId: `${advertiseHost(this.cfg.server.grpcListenAddress)}:${this.cfg.server.grpcListenPort}`,
        logger: this.logger,
      });
      services.push(worker.service());
    }
    return compositeService('querier', services);
  }

  #runsFrontend(): boolean {
    return this.cfg.target.some((t) => t === Module.All || t === Module.QueryFrontend);
  }

  /**
   * Prometheus' query API, served under -http.prometheus-http-prefix and, as Cortex does, under
   * -http.prefix too, by whichever of the query-frontend and the querier faces clients here.
   */
  async #registerPrometheusApi(execute: ApiExecutor, section: string): Promise<void> {
    const prefix = this.cfg.api.prometheusHttpPrefix.replace(/\/$/, '');
    const legacy = this.#legacyPrefix();
    for (const p of new Set([prefix, ...(legacy === '' ? [] : [legacy])])) {
      await this.server.http.register(prometheusApi, {
        prefix: p,
        execute,
        // Reads may name several tenants (`a|b`): federated, with `__tenant_id__` on every series.
        tenantOf: (req) => this.server.tenants(req).join(TenantSeparator),
        buildInfo: { version, revision: process.env.MYELIN_REVISION ?? 'unknown', branch: process.env.MYELIN_BRANCH ?? 'unknown' },
      });
    }
    this.links.push({ section, title: 'Prometheus API: build info', path: `${prefix}/api/v1/status/buildinfo` });
    const assetsBuilt = await registerUiAssets(this.server.http);
    this.#home = () => queryPage({
      apiPath: `${prefix}/api/v1`,
      authEnabled: this.cfg.authEnabled,
      tenantsPath: this.#hasDistributor ? '/distributor/all_user_stats' : '',
      assetsBuilt,
    });
    this.links.push({ section, title: 'Query', path: '/' });
  }

  /**
   * The query-frontend: the Prometheus API for clients, each request queued per tenant until a
   * querier takes it, over its Process stream or, in this process, from the query workers.
   */
  async #initQueryFrontend(): Promise<Service> {
    const mergePool = new MergePool({ logger: this.logger, registry: this.registry });
    const results = this.cfg.queryRange.cacheResults ? openResultsCache(this.cfg.queryRange.resultsCache, { logger: this.logger, registry: this.registry }) : undefined;
    const frontend = new Frontend(this.cfg.frontend, this.cfg.queryRange, {
      limits: (tenant) => this.overrides.limits(tenant),
      merge: (tenant, bodies, deadline, signal) => mergePool.mergeMatrix(tenant, bodies, deadline, signal),
      assemble: (tenant, task, deadline, signal) => mergePool.assemble(tenant, task, deadline, signal),
      planShards: (tenant, task, deadline, signal) => mergePool.planShards(tenant, task, deadline, signal),
      evaluateSharded: (tenant, task, deadline, signal) => mergePool.evaluateSharded(tenant, task, deadline, signal),
      cache: results?.cache,
      timeout: this.cfg.querier.timeout,
      logger: this.logger.child({ component: 'query-frontend' }),
      registry: this.registry,
    });
    this.#frontend = frontend;
    this.server.addGrpcService(FrontendService, frontendGrpcService(frontend, this.logger), { requireTenant: false });
    await this.#registerPrometheusApi(frontend.execute, 'Query-frontend');
    this.#connectLocalQuerier();
    return compositeService('query-frontend', [mergePool.service(), idleService('query-frontend-queue', {
      stopping: async () => {
        this.#localQuerier.abort();
        await results?.close();
      },
    })]);
  }

  /** Once both are initialised: this process's query workers take requests from its frontend. */
  #connectLocalQuerier(): void {
    const frontend = this.#frontend;
    const workers = this.#queryWorkers;
    if (frontend === undefined || workers === undefined) return;
    const id = `local-${process.pid}`;
    for (let i = 0; i < workerCount(this.cfg.querier.maxConcurrent); i++) {
      void frontend.serveQuerier(id, workers.execute, this.#localQuerier.signal);
    }
  }

  /**
   * The ruler: rule groups from the rule store, queried through the querier's workers and written
   * through the distributor of this process (docs/ruler.md).
   */
  async #initRuler(): Promise<Service> {
    const cfg = this.cfg.ruler;
    const storage = this.cfg.rulerStorage;
    const store = storage.backend === 'local'
      ? new LocalRuleStore(storage.local.directory)
      : new BucketRuleStore(newBucket({ ...storage, backend: storage.backend }, { reg: this.registry, name: 'ruler' }));
    const distributor = this.#distributor ?? bug('distributor');
    const queries = ruleQueries(this.#queryExecute ?? bug('querier'), cfg.maxResultBytes);
    const ring = cfg.enableSharding ? await this.#rulerRing() : undefined;
    const ruler = new Ruler(cfg, {
      store,
      ...queries,
      owns: ring === undefined ? undefined : (tenant, ns, group) => ring.owns(tenant, ns, group),
      append: distributorAppend((tenant, body) => distributor.push(tenant, body)),
      evaluationDelay: (tenant) => this.overrides.limits(tenant).rulerEvaluationDelay,
      tenantAlertmanagers: (tenant) => this.overrides.limits(tenant).rulerAlertmanagerConfig.alertmanager_url ?? '',
      logger: this.logger,
      registry: this.registry,
    });
    const tenantOf = (req: Parameters<Server['tenant']>[0]) => this.server.tenant(req);
    const promPrefix = this.cfg.api.prometheusHttpPrefix.replace(/\/$/, '');
    const legacy = this.#legacyPrefix();
    if (cfg.enableApi) {
      registerRuleConfigApi(this.server.http, {
        // Cortex's path, Grafana's Cortex and Mimir ruler clients' paths, Cortex's legacy one.
        bases: [...new Set(['/api/v1/rules', `${promPrefix}/rules`, `${promPrefix}/config/v1/rules`, ...(legacy === '' ? [] : [`${legacy}/rules`])])],
        store,
        tenantOf,
        limits: (tenant) => this.overrides.limits(tenant),
        changed: () => void ruler.sync('api-change').catch((err: unknown) => this.logger.warn({ err }, 'syncing rules failed')),
        registry: this.registry,
      });
    }
    const local = (tenant: string) => ruler.groups(tenant).map(groupJson);
    // With sharding the APIs answer for every ruler's groups: each serves its own over gRPC.
    const peers = ring === undefined ? undefined : new RulerPeers(ring, cfg.ring);
    if (peers !== undefined) {
      this.server.addGrpcService(RulerService, rulerGrpcHandlers(local, (org) => this.tenants.tenant(org)) as unknown as UntypedServiceImplementation, { requireTenant: true });
    }
    const groups = async (tenant: string) => [...local(tenant), ...(await peers?.groups(tenant) ?? [])]
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of new Set([promPrefix, ...(legacy === '' ? [] : [legacy])])) {
      registerRulesApi(this.server.http, p, { groups, tenantOf });
    }
    if (ring === undefined) return ruler.service();
    ring.onChange(() => void ruler.sync('ring-change').catch((err: unknown) => this.logger.warn({ err }, 'syncing rules failed')));
    const closePeers = idleService('ruler-peers', { stopping: async () => peers?.close() });
    return compositeService('ruler', [ring.service(), ruler.service(), closePeers]);
  }

  /** The ruler ring and its status page, /ruler/ring. */
  async #rulerRing(): Promise<RulerRing> {
    const ringCfg = this.cfg.ruler.ring;
    this.#defaultInstanceAddr(ringCfg);
    const ring = new RulerRing(ringCfg, {
      kv: this.#kvClient(ringCfg.kvstore, instanceDescCodec, 'ruler-ring'),
      logger: this.logger,
      registry: this.registry,
    });
    await registerRingStatusPage(this.server.http, '/ruler/ring', ring.ring);
    this.links.push({ section: 'Ruler', title: 'Ring status', path: '/ruler/ring' });
    return ring;
  }

  /**
   * The ingester: with one shard, in the main thread and on the process's gRPC port, exactly one
   * ring member as always; with more, one ring member per worker thread (IngesterShards).
   */
  async #initIngester(): Promise<Service> {
    const cfg = this.cfg.ingester;
    this.#defaultInstanceAddr(cfg.lifecycler);
    const log = this.logger.child({ component: 'ingester' });
    const shards = shardCount(cfg.shards, this.cfg.target.some((t) => t === Module.All || t === Module.Distributor));
    if (shards > 1) return this.#initIngesterShards(shards, log);
    const ing = new Ingester(cfg, this.cfg.blocksStorage.tsdb, {
      overrides: this.overrides,
      kv: this.#kvClient(cfg.lifecycler.ring.kvstore, instanceDescCodec, 'ingester-ring'),
      bucket: newBucket(this.cfg.blocksStorage, { reg: this.registry, name: 'ingester' }),
      registry: this.registry,
      logger: this.logger,
      transferOut: transferOutVia(this.cfg.ingesterClient),
      deleteRequestCancelPeriod: this.cfg.purger.deleteRequestCancelPeriod,
    });
    this.server.addGrpcService(ingesterServiceDefinition, ingesterGrpcService(ing, this.tenants, new TransferReceiver(ing, log)),
      { requireTenant: true, tenantExempt: ['allUserStats', 'transferChunks'] });
    this.server.inProcess.advertise(cfg.lifecycler.addr);
    this.server.setHealthCheck('myelin.ingester.Ingester', () => ing.acceptingWrites());
    await this.#ingesterRoutes(ing, log);
    this.#ingester = ing;
    return ing.service;
  }

  async #initIngesterShards(count: number, log: Logger): Promise<Service> {
    const rc = this.#runtimeConfig ?? bug('runtime config');
    const addr = this.cfg.ingester.lifecycler.addr;
    const shards = new IngesterShards(shardConfigs({
      ingester: this.cfg.ingester,
      tsdb: this.cfg.blocksStorage.tsdb,
      bucket: this.cfg.blocksStorage,
      ingesterClient: this.cfg.ingesterClient,
      server: this.cfg.server,
      limits: this.cfg.limits,
      authEnabled: this.cfg.authEnabled,
      advertiseHost: addr.slice(0, addr.lastIndexOf(':')),
      deleteRequestCancelPeriod: this.cfg.purger.deleteRequestCancelPeriod,
    }, count), { logger: this.logger, memoryKv: this.memoryKv, runtime: () => rc.current(), onRuntimeChange: (fn) => rc.onChange(fn) });
    await this.#ingesterRoutes(shards, log);
    this.#workerMetrics.push(() => shards.metrics());
    this.#ingesterShards = shards;
    return shards.service;
  }

  /** /ingester/flush, /ingester/shutdown, /ingester/all_user_stats ..., and the last one's link. */
  async #ingesterRoutes(ing: Parameters<typeof registerIngesterRoutes>[1], log: Logger): Promise<void> {
    await registerIngesterRoutes(this.server.http, ing, log, () => this.#shutdownRequested());
    this.links.push({ section: 'Ingester', title: 'Tenants of this ingester', path: '/ingester/all_user_stats' });
  }
}

/** The host other processes reach this one on: the gRPC listen address, else a non-loopback IPv4. */
function advertiseHost(listen: string): string {
  if (listen !== '' && listen !== '0.0.0.0') return listen;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function bug(what: string): never {
  throw new Error(`BUG: ${what} used before its module was initialised`);
}
