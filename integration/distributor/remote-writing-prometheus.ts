// A real Prometheus (Debian package, 2.42) that scrapes itself every second and remote-writes to
// a URL with X-Scope-OrgID in remote_write.headers, behind a gateway that sets the same header.
// Debian's 2.42.0+ds-5 build does not send remote_write.headers (checked with a capturing server:
// neither X-Scope-OrgID nor any other configured header arrives), so the gateway stands in for
// the authenticating proxy that sits in front of a multi-tenant Cortex; the header setting stays
// in the config for builds that honour it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestProcess } from '../e2e/process.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

export class RemoteWritingPrometheus {
  readonly proc: TestProcess;
  /** The `instance` label of its self-scrape. */
  readonly instance: string;
  readonly #gateway: HttpServer;
  readonly #dir: string;

  private constructor(proc: TestProcess, instance: string, gateway: HttpServer, dir: string) {
    this.proc = proc;
    this.instance = instance;
    this.#gateway = gateway;
    this.#dir = dir;
  }

  static async start(pushUrl: string, tenant: string): Promise<RemoteWritingPrometheus> {
    const gateway = await tenantGateway(pushUrl, tenant);
    const gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}${new URL(pushUrl).pathname}`;
    const dir = await mkdtemp(join(tmpdir(), 'myelin-prom-rw-'));
    const port = await freePort();
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        `  - { job_name: prometheus, static_configs: [{ targets: ["127.0.0.1:${port}"] }] }`,
        'remote_write:',
        `  - url: ${gatewayUrl}`,
        `    headers: { X-Scope-OrgID: ${tenant} }`,
        '    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms }',
        '    metadata_config: { send_interval: 1s }',
        '',
      ].join('\n'),
    );
    const proc = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ]);
    return new RemoteWritingPrometheus(proc, `127.0.0.1:${port}`, gateway, dir);
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    await new Promise<void>((resolve) => this.#gateway.close(() => resolve()));
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** An HTTP proxy to the origin of `target` that sets X-Scope-OrgID on every request. */
async function tenantGateway(target: string, tenant: string): Promise<HttpServer> {
  const to = new URL(target);
  const srv = createServer((req, res) => {
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, 'x-scope-orgid': tenant } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}
