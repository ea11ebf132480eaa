import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { stringify as stringifyYaml } from 'yaml';
import { defaults, toYamlObject } from '../flagext/index.js';
import { escapeHtml, htmlPage } from '../server/index.js';
import type { State } from '../services/index.js';
import { myelinConfig } from './config.js';
import type { MyelinConfig } from './config.js';

export interface StatusSources {
  config: MyelinConfig;
  registry: Registry;
  /** Metrics of the process's worker threads, in the exposition format, served after the registry's. */
  workerMetrics: () => Promise<string[]>;
  /** Module states by name; empty until the modules are initialised. */
  states: () => Map<string, State>;
  runtimeConfigYaml: (mode: 'all' | 'diff') => string;
  /** Why a running module is not ready to serve yet (an ingester not ACTIVE in its ring), or undefined. */
  notReady: () => string | undefined;
}

/** A link on the index page; modules add theirs (ring pages, flush handlers...). */
export interface IndexLink {
  section: string;
  title: string;
  path: string;
}

const wantsJson = (req: FastifyRequest) => (req.headers.accept ?? '').includes('application/json');

/**
 * The process-wide operator endpoints: /ready, /services, /config, /runtime_config, /metrics and the
 * index page that links every status page.
 */
export function registerStatusRoutes(app: FastifyInstance, src: StatusSources, links: () => readonly IndexLink[]): void {
  app.get('/ready', async (_req, reply) => {
    const notRunning = [...src.states()].filter(([, s]) => s !== 'Running');
    const running = src.states().size > 0 && notRunning.length === 0;
    const notReady = running ? src.notReady() : undefined;
    if (running && notReady === undefined) return reply.type('text/plain').send('ready');
    const reason = notReady ?? (notRunning.length === 0 ? 'modules are not initialised yet'
      : `Some services are not Running:\n${notRunning.map(([name, s]) => `${name}: ${s}`).join('\n')}`);
    return reply.code(503).type('text/plain').send(reason);
  });

  app.get('/services', async (req, reply) => {
    const states = [...src.states()];
    if (wantsJson(req)) return reply.send(states.map(([name, state]) => ({ name, state })));
    const rows = states.map(([name, state]) => `<tr><td>${escapeHtml(name)}</td><td>${state}</td></tr>`).join('\n');
    return reply.type('text/html').send(htmlPage('Services', `<table border="1" cellpadding="4"><thead><tr><th>Service</th><th>Status</th></tr></thead><tbody>\n${rows}\n</tbody></table>`));
  });

  app.get<{ Querystring: { mode?: string } }>('/config', async (req, reply) => {
    const mode = req.query.mode;
    if (mode !== undefined && mode !== 'diff' && mode !== 'defaults') {
      return reply.code(400).type('text/plain').send(`unknown mode ${JSON.stringify(mode)}: use diff or defaults`);
    }
    const cfg = mode === 'defaults' ? defaults(myelinConfig) : src.config;
    return reply.type('text/plain; charset=utf-8').send(stringifyYaml(toYamlObject(myelinConfig, cfg, { diffOnly: mode === 'diff' })));
  });

  app.get<{ Querystring: { mode?: string } }>('/runtime_config', async (req, reply) =>
    reply.type('text/plain; charset=utf-8').send(src.runtimeConfigYaml(req.query.mode === 'diff' ? 'diff' : 'all')));

  app.get('/metrics', async (_req, reply) => {
    const texts = [await src.registry.metrics(), ...await src.workerMetrics()];
    return reply.type(src.registry.contentType).send(texts.join(''));
  });

  app.get('/', async (_req, reply) => {
    const all: IndexLink[] = [
      { section: 'Admin', title: 'Services status', path: '/services' },
      { section: 'Admin', title: 'Readiness', path: '/ready' },
      { section: 'Admin', title: 'Current config', path: '/config' },
      { section: 'Admin', title: 'Config (changes from defaults only)', path: '/config?mode=diff' },
      { section: 'Admin', title: 'Runtime config (per-tenant overrides)', path: '/runtime_config' },
      { section: 'Admin', title: 'Metrics', path: '/metrics' },
      ...links(),
    ];
    const sections = [...new Set(all.map((l) => l.section))];
    const body = sections.map((s) => `<h2>${escapeHtml(s)}</h2>\n<ul>\n${all.filter((l) => l.section === s)
      .map((l) => `<li><a href="${escapeHtml(l.path)}">${escapeHtml(l.title)}</a></li>`).join('\n')}\n</ul>`).join('\n');
    return reply.type('text/html').send(htmlPage('Myelin', body));
  });
}
