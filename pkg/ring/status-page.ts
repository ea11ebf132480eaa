// The ring status page (dskit ring/http.go): GET /<name>/ring shows every instance as an HTML
// table a person can read, or JSON with `Accept: application/json`; POST with a `forget` form
// field removes an instance (the Forget button, shown for unhealthy instances).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml, htmlPage, htmlTable, plural } from '../server/index.js';
import { heartbeatAgeMs, heartbeatFresh, stateName } from './desc.js';
import type { Ring } from './ring.js';

export interface InstanceStatus {
  id: string;
  zone: string;
  state: string;
  address: string;
  healthy: boolean;
  registered_timestamp: number;
  heartbeat_timestamp: number;
  heartbeat_age_ms: number;
  tokens: number;
  /** Share of the token space, 0..1. */
  ownership: number;
}

export function ringStatus(ring: Ring): InstanceStatus[] {
  const snap = ring.snapshot();
  const owned = snap.tokensOwned();
  const own = snap.ownership();
  const now = ring.now();
  return snap.instances.map((i, idx) => ({
    id: i.id,
    zone: i.zone,
    state: stateName(i.state),
    address: i.addr,
    healthy: heartbeatFresh(i, ring.heartbeatTimeout(), now),
    registered_timestamp: i.registeredTimestamp,
    heartbeat_timestamp: i.timestamp,
    heartbeat_age_ms: heartbeatAgeMs(i, now),
    tokens: owned[idx],
    ownership: own[idx],
  }));
}

/** Registers GET and POST `path` (e.g. `/ingester/ring`) for `ring`. */
export async function registerRingStatusPage(app: FastifyInstance, path: string, ring: Ring): Promise<void> {
  await app.register(async (scope) => {
    // Forms post urlencoded bodies, which fastify does not parse by itself; this parser only
    // applies inside this plugin's scope.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.get(path, async (req, reply) => show(req, reply, ring, path));
    scope.post<{ Body: { forget?: string } | undefined }>(path, async (req, reply) => {
      const id = req.body?.forget;
      if (id === undefined || id === '') return reply.code(400).type('text/plain').send('missing form field "forget" (instance id)');
      if (ring.snapshot().indexOf(id) < 0) return reply.code(404).type('text/plain').send(`no instance ${JSON.stringify(id)} in the ${ring.name} ring`);
      await ring.forget(id);
      return reply.redirect(path, 303);
    });
  });
}

function show(req: FastifyRequest, reply: FastifyReply, ring: Ring, path: string): FastifyReply {
  const rows = ringStatus(ring);
  if ((req.headers.accept ?? '').includes('application/json')) return reply.send({ name: ring.name, instances: rows });
  // Forget is offered for unhealthy instances only: a healthy one would register itself again at
  // its next heartbeat. Without any, the column is not shown.
  const forget = rows.some((r) => !r.healthy);
  const head = ['Instance', 'Zone', 'State', 'Address', 'Registered', 'Last heartbeat', 'Tokens', 'Ownership', ...(forget ? ['Forget'] : [])];
  const cells = (r: InstanceStatus) => [
    escapeHtml(r.id), escapeHtml(r.zone), r.healthy ? r.state : `${r.state} (unhealthy)`, escapeHtml(r.address),
    new Date(r.registered_timestamp * 1000).toISOString(), `${formatAge(r.heartbeat_age_ms)} ago`, String(r.tokens), `${(r.ownership * 100).toFixed(2)}%`,
    ...(!forget ? [] : r.healthy ? [''] : [`<form method="post" action="${escapeHtml(path)}"><input type="hidden" name="forget" value="${escapeHtml(r.id)}"><button type="submit">Forget</button></form>`]),
  ];
  const healthy = rows.filter((r) => r.healthy).length;
  return reply.type('text/html; charset=utf-8').send(htmlPage(`${ring.name.charAt(0).toUpperCase()}${ring.name.slice(1)} ring`,
    `<p>${plural(rows.length, 'instance')}, ${healthy} healthy. Heartbeat timeout ${formatAge(ring.heartbeatTimeout())}.</p>\n` +
      htmlTable(head, rows.map((r) => ({ cells: cells(r), className: r.healthy ? undefined : 'bad' }))),
    { refreshSeconds: 5 }));
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

