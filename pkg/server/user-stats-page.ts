// The user stats page that the distributor (over all ingesters) and an ingester (its own tenants)
// both serve, Cortex's columns; JSON when asked for.
import type { FastifyRequest } from 'fastify';
import { escapeHtml, htmlPage } from './html.js';

export interface UserStats {
  userId: string;
  numSeries: number;
  ingestionRate: number;
  apiIngestionRate: number;
  ruleIngestionRate: number;
}

/** The page; `note` says how the figures were obtained. */
export function userStatsPage(stats: UserStats[], now: Date, note: string): string {
  const rows = stats
    .map((s) => `<tr><td>${escapeHtml(s.userId)}</td><td>${Math.round(s.numSeries)}</td><td>${s.ingestionRate.toFixed(2)}</td><td>${s.apiIngestionRate.toFixed(2)}</td><td>${s.ruleIngestionRate.toFixed(2)}</td></tr>`)
    .join('\n');
  return htmlPage(
    'Ingester stats',
    `<p>Current time: ${now.toISOString()}</p>\n<p>${escapeHtml(note)}</p>\n` +
      `<table border="1"><thead><tr><th>User</th><th># Series</th><th>Total ingest rate</th><th>API ingest rate</th><th>Rule ingest rate</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`,
  );
}

/** Whether a status request asks for JSON (`?format=json` or an Accept header naming it). */
export function wantsJson(req: FastifyRequest): boolean {
  const q = req.query as { format?: string } | undefined;
  return q?.format === 'json' || (req.headers.accept ?? '').includes('application/json');
}
