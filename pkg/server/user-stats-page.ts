// The user stats page that the distributor (over all ingesters) and an ingester (its own tenants)
// both serve, Cortex's columns; JSON when asked for.
import type { FastifyRequest } from 'fastify';
import { escapeHtml, htmlPage, htmlTable } from './html.js';

export interface UserStats {
  userId: string;
  numSeries: number;
  ingestionRate: number;
  apiIngestionRate: number;
  ruleIngestionRate: number;
}

/** The page the status index links as "Usage statistics" (Cortex's "Ingester Stats"); `note` says how the figures were obtained. */
export function userStatsPage(stats: UserStats[], now: Date, note: string): string {
  const rows = stats.map((s) => [escapeHtml(s.userId), String(Math.round(s.numSeries)), s.ingestionRate.toFixed(2), s.apiIngestionRate.toFixed(2), s.ruleIngestionRate.toFixed(2)]);
  return htmlPage('Usage statistics',
    `<p>Current time: ${now.toISOString()}</p>\n<p class="note">${escapeHtml(note)}</p>\n` +
      htmlTable(['User', '# Series', 'Total ingest rate', 'API ingest rate', 'Rule ingest rate'], rows), { refreshSeconds: 10 });
}

/** Whether a status request asks for JSON (`?format=json` or an Accept header naming it). */
export function wantsJson(req: FastifyRequest): boolean {
  const q = req.query as { format?: string } | undefined;
  return q?.format === 'json' || (req.headers.accept ?? '').includes('application/json');
}
