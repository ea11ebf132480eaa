// How the ruler reaches an Alertmanager, with Cortex's `ruler.alertmanager_client` settings: HTTP
// basic auth (from the settings, else from the URL's user:password, which fetch-style clients
// refuse in a URL) and TLS for https:// URLs (client certificate, CA, server name, skip verify).
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { clientTlsFields } from '../tls/index.js';
import { string, type ConfigOf } from '../flagext/index.js';

const { tlsEnabled: _tlsFromScheme, ...tlsFields } = clientTlsFields('ruler.alertmanager-client');

/** `ruler.alertmanager_client`; TLS is used for https:// Alertmanager URLs. */
export const alertmanagerClientFields = {
  ...tlsFields,
  basicAuthUsername: string({ flag: 'ruler.alertmanager-client.basic-auth-username', default: '', help: 'HTTP basic auth user name for Alertmanager; overrides one given in the URL.' }),
  basicAuthPassword: string({ flag: 'ruler.alertmanager-client.basic-auth-password', default: '', secret: true, help: 'HTTP basic auth password for Alertmanager; overrides one given in the URL.' }),
};
export type AlertmanagerClientConfig = { [K in keyof typeof alertmanagerClientFields]: ConfigOf<(typeof alertmanagerClientFields)[K]> };

/** An Alertmanager URL without its user:password, for metric labels and logs. */
export function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

/** The agent for https:// Alertmanagers; reads the TLS files once. */
function tlsAgent(cfg: AlertmanagerClientConfig): Agent {
  const file = (p: string) => (p === '' ? undefined : readFileSync(p));
  return new Agent({
    keepAlive: true,
    ca: file(cfg.tlsCaPath),
    cert: file(cfg.tlsCertPath),
    key: file(cfg.tlsKeyPath),
    ...(cfg.tlsServerName === '' ? {} : { servername: cfg.tlsServerName }),
    rejectUnauthorized: !cfg.tlsInsecureSkipVerify,
  });
}

export class AlertmanagerClient {
  readonly #tlsAgent: Agent;

  /** `timeout` (ms) bounds each POST. */
  constructor(readonly cfg: AlertmanagerClientConfig, readonly timeout: number) {
    this.#tlsAgent = tlsAgent(cfg);
  }

  /** POSTs `body` (alerts in JSON) to <base>/api/v2/alerts for `tenant`; rejects unless 2xx. */
  post(base: string, tenant: string, body: string): Promise<void> {
    const url = new URL(`${base.replace(/\/$/, '')}/api/v2/alerts`);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-scope-orgid': tenant };
    const user = this.cfg.basicAuthUsername || decodeURIComponent(url.username);
    const password = this.cfg.basicAuthPassword || decodeURIComponent(url.password);
    if (user !== '' || password !== '') headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const opts = { method: 'POST', headers, signal: AbortSignal.timeout(this.timeout), ...(https ? { agent: this.#tlsAgent } : {}) };
      const req = (https ? httpsRequest : httpRequest)(url, opts, (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`bad response status ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#tlsAgent.destroy();
  }
}
