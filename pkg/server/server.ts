import { randomUUID } from 'node:crypto';
import { Server as GrpcServer } from '@grpc/grpc-js';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { TLSSocket } from 'node:tls';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import type * as Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

// Loaded on first use: worker threads import this package for its helpers, never for a server.
const fastifyModule = (): typeof Fastify => createRequire(import.meta.url)('fastify') as typeof Fastify;
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import { idleService } from '../services/index.js';
import type { Service } from '../services/index.js';
import { OrgIdHeader, TenantError } from '../tenant/index.js';
import type { TenantResolver } from '../tenant/index.js';
import type { ServerConfig } from './config.js';
import { HealthService } from '../generated/grpc/health/v1/health.js';
import { instrumentService } from './grpc-instrument.js';
import { InProcessGrpcServer } from './in-process-grpc.js';
import { healthService } from './health.js';
import type { GrpcServiceOptions } from './grpc-instrument.js';
import { ServerMetrics, routeLabel } from './metrics.js';
import { enforceClientAuth, grpcServerCredentials, httpsOptions, loadServerTls } from './tls.js';
import { tlsPolicy } from './tls-policy.js';
import { registerProfilingRoutes } from './profiling.js';

export interface ServerDeps {
  logger: Logger;
  registry: Registry;
  tenants: TenantResolver;
  /** Serve gRPC only (an ingester shard worker: the process's HTTP server is the main thread's). */
  grpcOnly?: boolean;
}

/**
 * The process's one HTTP server (fastify) and one gRPC server, shared by every module. Modules add
 * routes and services while they are initialised; the server starts listening when its module
 * starts, and closes last.
 */
export class Server {
  readonly http: FastifyInstance;
  readonly grpc: GrpcServer;
  /** The same gRPC services, for this process's other threads (query workers): no socket, no HTTP/2. */
  readonly inProcess = new InProcessGrpcServer();
  readonly #cfg: ServerConfig;
  readonly #deps: ServerDeps;
  readonly #metrics: ServerMetrics;
  /** Health checks by gRPC service name; '' is the whole process. */
  readonly #health = new Map<string, () => boolean>();
  readonly #grpcCredentials: ServerCredentials;
  #grpcPort = 0;

  /** Throws a ConfigError naming the key when the TLS settings cannot be used. */
  constructor(cfg: ServerConfig, deps: ServerDeps) {
    this.#cfg = cfg;
    this.#deps = deps;
    this.#metrics = new ServerMetrics(deps.registry);
    const policy = tlsPolicy(cfg.tlsMinVersion, cfg.tlsCipherSuites);
    const httpTls = deps.grpcOnly === true ? undefined : loadServerTls(cfg.httpTlsConfig, 'server.http_tls_config');
    this.#grpcCredentials = grpcServerCredentials(loadServerTls(cfg.grpcTlsConfig, 'server.grpc_tls_config'), 'server.grpc_tls_config', policy);
    const { fastify, LogController } = fastifyModule();
    this.http = fastify({
      ...(httpTls === undefined ? {} : { https: httpsOptions(httpTls, policy) }),
      loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      requestIdHeader: 'x-request-id',
      genReqId: () => randomUUID(),
      keepAliveTimeout: cfg.httpServerIdleTimeout,
      requestTimeout: cfg.httpServerReadTimeout,
      forceCloseConnections: 'idle',
    });
    this.grpc = new GrpcServer({
      'grpc.max_receive_message_length': cfg.grpcServerMaxRecvMsgSize,
      'grpc.max_send_message_length': cfg.grpcServerMaxSendMsgSize,
      ...(cfg.grpcServerMaxConcurrentStreams > 0 ? { 'grpc.max_concurrent_streams': cfg.grpcServerMaxConcurrentStreams } : {}),
    });
    if (httpTls !== undefined) this.http.server.on('secureConnection', (socket: TLSSocket) => enforceClientAuth(httpTls, socket));
    this.#instrumentHttp();
    if (cfg.httpServerWriteTimeout > 0) this.#limitWriteTime(cfg.httpServerWriteTimeout);
    registerProfilingRoutes(this.http);
    this.addGrpcService(HealthService, healthService(this.#health), { requireTenant: false });
  }

  /**
   * Answers grpc.health.v1 checks for `service` ('' for the whole process) with `serving()`.
   * Set before the server starts.
   */
  setHealthCheck(service: string, serving: () => boolean): void {
    this.#health.set(service, serving);
  }

  /** Adds a gRPC service whose calls are timed and, when asked, checked for a tenant. */
  addGrpcService(def: ServiceDefinition, impl: UntypedServiceImplementation, opts: GrpcServiceOptions): void {
    const instrumented = instrumentService(def, impl, this.#metrics, this.#deps.tenants, opts);
    this.grpc.addService(def, instrumented);
    this.inProcess.add(def, instrumented);
  }

  /**
   * The tenant of an HTTP request, from its X-Scope-OrgID header. Throws an error that the server
   * answers with 401 (missing) or 400 (invalid), counting it.
   */
  tenant(req: FastifyRequest): string {
    return this.#deps.tenants.tenant(headerValue(req));
  }

  /** All tenants of a read request (`a|b` allowed). */
  tenants(req: FastifyRequest): string[] {
    return this.#deps.tenants.tenants(headerValue(req));
  }

  /** The bound ports; meaningful once the service is Running (port 0 in config picks a free one). */
  httpPort(): number {
    const addr = this.http.server.address();
    return addr !== null && typeof addr === 'object' ? addr.port : 0;
  }

  grpcPort(): number {
    return this.#grpcPort;
  }

  service(): Service {
    return idleService('server', {
      starting: async () => {
        if (this.#deps.grpcOnly !== true) await this.http.listen({ host: this.#cfg.httpListenAddress || '0.0.0.0', port: this.#cfg.httpListenPort });
        this.#grpcPort = await new Promise<number>((resolve, reject) => {
          const host = this.#cfg.grpcListenAddress || '0.0.0.0';
          this.grpc.bindAsync(`${host}:${this.#cfg.grpcListenPort}`, this.#grpcCredentials,
            (err, port) => (err ? reject(new Error(`listen gRPC on ${host}:${this.#cfg.grpcListenPort}`, { cause: err })) : resolve(port)));
        });
        this.#deps.logger.info({ http: this.#deps.grpcOnly === true ? undefined : this.httpPort(), grpc: this.#grpcPort }, 'server listening');
      },
      stopping: async () => {
        await new Promise<void>((resolve) => this.grpc.tryShutdown(() => resolve()));
        await this.http.close();
      },
    });
  }

  /**
   * Go's http.Server WriteTimeout, as Cortex sets it: a response not written within `ms` of the
   * request's arrival is cut off by closing the connection.
   */
  #limitWriteTime(ms: number): void {
    this.http.addHook('onRequest', (_req, reply, done) => {
      const timer = setTimeout(() => reply.raw.destroy(), ms);
      reply.raw.once('close', () => clearTimeout(timer));
      done();
    });
  }

  #instrumentHttp(): void {
    const { requestDuration, tenantRejections } = this.#metrics;
    // Callback hooks, not async ones: every request runs both, and an async hook costs a promise each.
    this.http.addHook('onRequest', (req, _reply, done) => {
      const org = headerValue(req);
      if (org !== undefined) req.log = req.log.child({ tenant: org });
      done();
    });
    const routes = new Map<string, string>();
    this.http.addHook('onResponse', (req, reply, done) => {
      const url = req.routeOptions.url;
      let route = url === undefined ? 'other' : routes.get(url);
      if (route === undefined) routes.set(url as string, (route = routeLabel(url as string)));
      requestDuration.observe({ method: req.method, route, status_code: String(reply.statusCode), ws: 'false' },
        reply.elapsedTime / 1000);
      done();
    });
    this.http.setErrorHandler(async (err, req, reply) => {
      if (err instanceof TenantError) {
        tenantRejections.inc({ protocol: 'http', reason: err.code });
        return reply.code(err.code === 'missing' ? 401 : 400).type('text/plain; charset=utf-8').send(err.message);
      }
      const code = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
      if (code >= 500) req.log.error({ err }, 'request failed');
      return reply.code(code).type('text/plain; charset=utf-8').send((err as Error).message);
    });
  }
}

function headerValue(req: FastifyRequest): string | undefined {
  const v = req.headers[OrgIdHeader];
  return Array.isArray(v) ? v[0] : v;
}
