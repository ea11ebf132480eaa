// The Alertmanagers of -ruler.alertmanager-url, as Cortex (and Thanos) name them: a plain URL is
// one Alertmanager; `dns+http://host:port/path` is one per address `host` resolves to (A/AAAA);
// `dnssrv+http://_service._proto.name/path` one per SRV target (its host and port). Lookups are
// refreshed every -ruler.alertmanager-refresh-interval; a failed lookup keeps the last answer.
import { lookup, resolveSrv } from 'node:dns/promises';
import type { Logger } from '../log/index.js';

type Resolve = (host: string) => Promise<Array<{ host: string; port?: number }>>;

const resolvers: Record<string, Resolve> = {
  'dns+': async (host) => (await lookup(host, { all: true })).map((a) => ({ host: a.family === 6 ? `[${a.address}]` : a.address })),
  'dnssrv+': async (host) => (await resolveSrv(host)).map((r) => ({ host: r.name, port: r.port })),
};

export class AlertmanagerDiscovery {
  readonly #specs: string[];
  readonly #refreshMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** The last answer for each spec. */
  readonly #last = new Map<string, string[]>();
  #resolvedAt = -Infinity;

  constructor(specs: string[], refreshMs: number, logger: Logger, now: () => number = Date.now) {
    this.#specs = specs;
    this.#refreshMs = refreshMs;
    this.#logger = logger;
    this.#now = now;
  }

  /** The Alertmanager base URLs now, looked up again when the last lookup is older than the refresh interval. */
  async urls(): Promise<string[]> {
    if (this.#now() - this.#resolvedAt >= this.#refreshMs) {
      this.#resolvedAt = this.#now();
      await Promise.all(this.#specs.map(async (spec) => {
        try {
          this.#last.set(spec, await resolveSpec(spec));
        } catch (err) {
          this.#logger.warn({ alertmanager: spec, err }, 'looking up Alertmanagers failed; keeping the last answer');
        }
      }));
    }
    return [...new Set(this.#specs.flatMap((s) => this.#last.get(s) ?? []))];
  }
}

async function resolveSpec(spec: string): Promise<string[]> {
  const prefix = Object.keys(resolvers).find((p) => spec.startsWith(p));
  if (prefix === undefined) return [spec];
  const url = new URL(spec.slice(prefix.length));
  return (await resolvers[prefix](url.hostname)).map((t) => {
    const u = new URL(url);
    u.host = `${t.host}:${t.port ?? (url.port || (url.protocol === 'https:' ? '443' : '80'))}`;
    return u.toString().replace(/\/$/, '');
  });
}
