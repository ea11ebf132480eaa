import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AggregatorRegistry } from 'prom-client';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { stringify as stringifyYaml } from 'yaml';
import { defaults, toYamlObject } from '../flagext/index.js';
import { escapeHtml, htmlPage, htmlTable } from '../server/index.js';
import type { State } from '../services/index.js';
import { myelinConfig } from './config.js';
import type { MyelinConfig } from './config.js';

export interface StatusSources {
  config: MyelinConfig;
  registry: Registry;
  /** Module states by name; empty until the modules are initialised. */
  states: () => Map<string, State>;
  runtimeConfigYaml: (mode: 'all' | 'diff') => string;
  /** Why a running module is not ready to serve (an ingester not ACTIVE in its ring, a WAL that cannot write), or undefined. */
  notReady: () => Promise<string | undefined>;
  /** The registries of the process's worker threads, as getMetricsAsJSON() sets; /metrics adds them up with the main registry. */
  workerMetrics: () => Promise<MetricObjectWithValues<MetricValue<string>>[][]>;
  /** The page `/` shows when this process has one (the query page of a querier); otherwise `/` is the status index. */
  home?: () => string | undefined;
}

/** A link on the index page; modules add theirs (ring pages, flush handlers...). */
export interface IndexLink {
  section: string;
  title: string;
  path: string;
}

const wantsJson = (req: FastifyRequest) => (req.headers.accept ?? '').includes('application/json');
/** A browser asks for HTML first; curl and scripts (Accept: *\/*) keep getting the plain YAML. */
const wantsHtml = (req: FastifyRequest) => (req.headers.accept ?? '').startsWith('text/html');

/**
 * The process-wide operator endpoints: /ready, /services, /config, /runtime_config, /metrics and the
 * index page that links every status page (/status, and / when the process has no query page).
 */
export function registerStatusRoutes(app: FastifyInstance, src: StatusSources, links: () => readonly IndexLink[]): void {
  app.get('/ready', async (_req, reply) => {
    const notRunning = [...src.states()].filter(([, s]) => s !== 'Running');
    const running = src.states().size > 0 && notRunning.length === 0;
    const notReady = running ? await src.notReady() : undefined;
    if (running && notReady === undefined) return reply.type('text/plain').send('ready');
    const reason = notReady ?? (notRunning.length === 0 ? 'modules are not initialised yet'
      : `Some services are not Running:\n${notRunning.map(([name, s]) => `${name}: ${s}`).join('\n')}`);
    return reply.code(503).type('text/plain').send(reason);
  });

  app.get('/services', async (req, reply) => {
    const states = [...src.states()];
    if (wantsJson(req)) return reply.send(states.map(([name, state]) => ({ name, state })));
    const rows = states.map(([name, state]) => ({ cells: [escapeHtml(name), state], className: state === 'Running' ? undefined : 'bad' }));
    return reply.type('text/html; charset=utf-8').send(htmlPage('Services', htmlTable(['Service', 'Status'], rows), { refreshSeconds: 5 }));
  });

  app.get<{ Querystring: { mode?: string } }>('/config', async (req, reply) => {
    const mode = req.query.mode;
    if (mode !== undefined && mode !== 'diff' && mode !== 'defaults') {
      return reply.code(400).type('text/plain').send(`unknown mode ${JSON.stringify(mode)}: use diff or defaults`);
    }
    const cfg = mode === 'defaults' ? defaults(myelinConfig) : src.config;
    const yaml = stringifyYaml(toYamlObject(myelinConfig, cfg, { diffOnly: mode === 'diff' }));
    if (!wantsHtml(req)) return reply.type('text/plain; charset=utf-8').send(yaml);
    return reply.type('text/html; charset=utf-8').send(yamlPage('Config', '/config', [['', 'current'], ['diff', 'changes from defaults'], ['defaults', 'defaults']], mode ?? '', yaml));
  });

  app.get<{ Querystring: { mode?: string } }>('/runtime_config', async (req, reply) => {
    const mode = req.query.mode === 'diff' ? 'diff' : '';
    const yaml = src.runtimeConfigYaml(mode === 'diff' ? 'diff' : 'all');
    if (!wantsHtml(req)) return reply.type('text/plain; charset=utf-8').send(yaml);
    return reply.type('text/html; charset=utf-8').send(yamlPage('Runtime config', '/runtime_config', [['', 'current'], ['diff', 'changes from defaults']], mode, yaml, 10));
  });

  app.get('/metrics', async (_req, reply) => reply.type(src.registry.contentType).send(await processMetrics(src)));

  const index = () => indexPage([
    { section: 'Admin', title: 'Services status', path: '/services' },
    { section: 'Admin', title: 'Readiness', path: '/ready' },
    { section: 'Admin', title: 'Current config', path: '/config' },
    { section: 'Admin', title: 'Config (changes from defaults only)', path: '/config?mode=diff' },
    { section: 'Admin', title: 'Runtime config (per-tenant overrides)', path: '/runtime_config' },
    { section: 'Admin', title: 'Metrics', path: '/metrics' },
    ...links(),
  ]);
  app.get('/status', async (_req, reply) => reply.type('text/html; charset=utf-8').send(index()));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(src.home?.() ?? index()));
}

function indexPage(all: readonly IndexLink[]): string {
  const sections = [...new Set(all.map((l) => l.section))];
  const body = sections.map((s) => `<section>\n<h2>${escapeHtml(s)}</h2>\n<ul>\n${all.filter((l) => l.section === s)
    .map((l) => `<li><a href="${escapeHtml(l.path)}">${escapeHtml(l.title)}</a></li>`).join('\n')}\n</ul>\n</section>`).join('\n');
  return htmlPage('Status', `<div class="links">\n${body}\n</div>`);
}

/** A YAML document for a browser, with links to its other modes (`[mode, title]`, '' is the plain path). */
function yamlPage(title: string, path: string, modes: [string, string][], mode: string, yaml: string, refreshSeconds?: number): string {
  const nav = modes.map(([m, t]) => (m === mode ? `<strong>${escapeHtml(t)}</strong>` : `<a href="${escapeHtml(m === '' ? path : `${path}?mode=${m}`)}">${escapeHtml(t)}</a>`));
  return htmlPage(title, `<p>${nav.join(' · ')}</p>\n<pre>${escapeHtml(yaml)}</pre>`, { refreshSeconds });
}

/**
 * The main registry, summed with the worker threads' registries (each metric by its aggregator,
 * `sum` unless it says otherwise). A metric only the main thread has is kept as it is, even one
 * whose aggregator would drop it (process_start_time_seconds).
 */
async function processMetrics(src: StatusSources): Promise<string> {
  const workers = await src.workerMetrics();
  if (workers.length === 0) return src.registry.metrics();
  const main = (await src.registry.getMetricsAsJSON()).map((m) => (m.aggregator === 'omit' ? { ...m, aggregator: 'first' as const } : m));
  return AggregatorRegistry.aggregate([main, ...workers]).metrics();
}
