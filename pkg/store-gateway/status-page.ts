// GET /store-gateway/status: the tenants this store-gateway holds blocks of and each held block with
// its time range, level and size, as HTML or, with `Accept: application/json`, as JSON.
import type { FastifyInstance } from 'fastify';
import { formatDuration } from '../flagext/index.js';
import { escapeHtml, htmlPage, htmlTable, plural } from '../server/index.js';
import type { BlockMeta } from '../tsdb/block/index.js';
import type { BucketStore } from './bucket-store.js';

type Held = ReturnType<BucketStore['heldBlocks']>;

export function registerStoreGatewayStatusPage(app: FastifyInstance, instanceId: string, store: BucketStore): void {
  app.get('/store-gateway/status', async (req, reply) => {
    const held = store.heldBlocks();
    if ((req.headers.accept ?? '').includes('application/json')) return reply.send({ instance: instanceId, tenants: held.map(toJson) });
    return reply.type('text/html; charset=utf-8').send(storeGatewayStatusPage(instanceId, held));
  });
}

function toJson({ tenant, blocks }: Held[number]) {
  return { tenant, blocks: blocks.map((m) => ({ ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime, level: m.compaction.level, numSeries: m.stats.numSeries, numSamples: m.stats.numSamples })) };
}

export function storeGatewayStatusPage(instanceId: string, held: Held): string {
  const blocks = held.reduce((n, t) => n + t.blocks.length, 0);
  const summary = htmlTable(['Tenant', 'Blocks', 'From', 'To'], held.map(({ tenant, blocks: b }) => [
    `<a href="#tenant-${escapeHtml(tenant)}">${escapeHtml(tenant)}</a>`, String(b.length), time(b[0].minTime), time(Math.max(...b.map((m) => m.maxTime))),
  ]));
  const perTenant = held.map(({ tenant, blocks: b }) => `<h2 id="tenant-${escapeHtml(tenant)}">${escapeHtml(tenant)} (${plural(b.length, 'block')})</h2>\n` +
    htmlTable(['Block', 'Min time', 'Max time', 'Range', 'Level', 'Series', 'Samples'], b.map(blockRow))).join('\n');
  return htmlPage('Store-gateway',
    `<p>Instance ${escapeHtml(instanceId)} holds ${plural(blocks, 'block')} of ${plural(held.length, 'tenant')}: the blocks its ring gives it, loaded from the bucket.</p>\n${summary}\n${perTenant}`,
    { refreshSeconds: 10 });
}

function blockRow(m: BlockMeta): string[] {
  return [`<code>${escapeHtml(m.ulid)}</code>`, time(m.minTime), time(m.maxTime), formatDuration(m.maxTime - m.minTime), String(m.compaction.level), String(m.stats.numSeries), String(m.stats.numSamples)];
}

const time = (ms: number) => new Date(ms).toISOString();
