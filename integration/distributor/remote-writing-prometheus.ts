// A real Prometheus (Debian package, 2.42) that scrapes itself (and any other targets) every second
// and remote-writes to one URL per tenant with X-Scope-OrgID in remote_write.headers, each behind a
// gateway that sets the same header.
// Debian's 2.42.0+ds-5 build does not send remote_write.headers (checked with a capturing server:
// neither X-Scope-OrgID nor any other configured header arrives), so the gateway stands in for
// the authenticating proxy that sits in front of a multi-tenant Cortex; the header setting stays
// in the config for builds that honour it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestProcess } from '../../pkg/testutil/index.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/** One remote_write entry: the tenant its gateway sets, and optional write_relabel_configs (YAML flow mappings). */
export interface RemoteWriteTenant {
  tenant: string;
  /** Where this entry writes, if not to the `pushUrl` given to start(). */
  pushUrl?: string;
  writeRelabel?: string[];
}

export interface RemoteWritingPrometheusOptions {
  /** More scrape jobs besides its self-scrape (job `prometheus`). */
  scrape?: { job: string; target: string }[];
  /** Scrape and remote-write native histograms (--enable-feature=native-histograms, send_native_histograms). */
  nativeHistograms?: boolean;
  /** Keep scraped exemplars (--enable-feature=exemplar-storage) and remote-write them (send_exemplars). */
  exemplars?: boolean;
  /** Rule files Prometheus evaluates itself every second, sending alerts to these Alertmanagers. */
  rules?: { files: string[]; alertmanagers: string[]; externalUrl: string };
}

export class RemoteWritingPrometheus {
  readonly proc: TestProcess;
  /** The `instance` label of its self-scrape; also where its own API answers. */
  readonly instance: string;
  readonly #gateways: HttpServer[];
  readonly #dir: string;

  private constructor(proc: TestProcess, instance: string, gateways: HttpServer[], dir: string) {
    this.proc = proc;
    this.instance = instance;
    this.#gateways = gateways;
    this.#dir = dir;
  }

  /** Its HTTP API base URL. */
  get url(): string {
    return `http://${this.instance}`;
  }

  /** Starts Prometheus with one remote_write entry per tenant, each through its own tenant gateway. */
  static async start(pushUrl: string, tenants: string | RemoteWriteTenant[], opts: RemoteWritingPrometheusOptions = {}): Promise<RemoteWritingPrometheus> {
    const entries = typeof tenants === 'string' ? [{ tenant: tenants }] : tenants;
    const gateways = await Promise.all(entries.map((e) => tenantGateway(e.pushUrl ?? pushUrl, e.tenant)));
    const dir = await mkdtemp(join(tmpdir(), 'myelin-prom-rw-'));
    const port = await freePort();
    const jobs = [{ job: 'prometheus', target: `127.0.0.1:${port}` }, ...(opts.scrape ?? [])];
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        ...(opts.rules === undefined ? [] : [
          `rule_files: [${opts.rules.files.map((f) => JSON.stringify(f)).join(', ')}]`,
          `alerting: { alertmanagers: [{ static_configs: [{ targets: [${opts.rules.alertmanagers.map((u) => JSON.stringify(new URL(u).host)).join(', ')}] }] }] }`,
        ]),
        'scrape_configs:',
        ...jobs.map((j) => `  - { job_name: ${j.job}, static_configs: [{ targets: ["${j.target}"] }] }`),
        'remote_write:',
        ...entries.flatMap((e, i) => [
          `  - url: http://127.0.0.1:${(gateways[i].address() as { port: number }).port}${new URL(e.pushUrl ?? pushUrl).pathname}`,
          `    headers: { X-Scope-OrgID: ${e.tenant} }`,
          '    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms }',
          '    metadata_config: { send_interval: 1s }',
          ...(opts.nativeHistograms === true ? ['    send_native_histograms: true'] : []),
          ...(opts.exemplars === true ? ['    send_exemplars: true'] : []),
          ...(e.writeRelabel === undefined ? [] : [`    write_relabel_configs: [${e.writeRelabel.join(', ')}]`]),
        ]),
        '',
      ].join('\n'),
    );
    const proc = new TestProcess('prometheus', PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
      ...(opts.nativeHistograms === true ? ['--enable-feature=native-histograms'] : []),
      ...(opts.exemplars === true ? ['--enable-feature=exemplar-storage'] : []),
      ...(opts.rules === undefined ? [] : [`--web.external-url=${opts.rules.externalUrl}`]),
    ]);
    return new RemoteWritingPrometheus(proc, `127.0.0.1:${port}`, gateways, dir);
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    await Promise.all(this.#gateways.map((g) => new Promise<void>((resolve) => g.close(() => resolve()))));
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** An HTTP proxy to the origin of `target` that sets X-Scope-OrgID on every request. */
export async function tenantGateway(target: string, tenant: string): Promise<HttpServer> {
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
