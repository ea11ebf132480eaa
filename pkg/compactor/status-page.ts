// GET /compactor/status: the compaction pass running now and the last one finished (when, how many
// tenants, which failed and why), as HTML or, with `Accept: application/json`, as JSON.
import type { FastifyInstance } from 'fastify';
import { escapeHtml, htmlPage, htmlTable, plural } from '../server/index.js';
import type { CompactionPass, Compactor } from './compactor.js';

export function registerCompactorStatusPage(app: FastifyInstance, compactor: Compactor): void {
  app.get('/compactor/status', async (req, reply) => {
    const passes = compactor.passes();
    if ((req.headers.accept ?? '').includes('application/json')) return reply.send(passes);
    return reply.type('text/html; charset=utf-8').send(compactorStatusPage(passes, Date.now()));
  });
}

export function compactorStatusPage(p: ReturnType<Compactor['passes']>, now: number): string {
  const time = (ms: number) => new Date(ms).toISOString();
  const row = (name: string, pass: CompactionPass | undefined) => (pass === undefined ? [name, 'none yet', '', '', ''] : [
    name, time(pass.startedAt), pass.finishedAt === undefined ? `running for ${seconds(now - pass.startedAt)}` : `took ${seconds(pass.finishedAt - pass.startedAt)}`,
    String(pass.tenants), String(pass.failures.length),
  ]);
  const failures = [...(p.current?.failures ?? []), ...(p.last?.failures ?? [])]
    .map((f) => ({ cells: [f.tenant === '' ? '(listing tenants)' : escapeHtml(f.tenant), `<code>${escapeHtml(f.error)}</code>`], className: 'bad' }));
  return htmlPage('Compactor',
    `<p>Current time: ${time(now)}. A pass over every tenant starts every ${seconds(p.intervalMs)} after the last one ends.</p>\n` +
      htmlTable(['Pass', 'Started', 'Duration', 'Tenants', 'Failed tenants'], [row('current', p.current), row('last', p.last)]) +
      `\n<h2>Failures (${plural(failures.length, 'tenant')})</h2>\n` + htmlTable(['Tenant', 'Error'], failures),
    { refreshSeconds: 10 });
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))}s`;
}
