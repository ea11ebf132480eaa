// Ring metrics, computed at scrape time from each ring's current view (Cortex ring metrics):
// myelin_ring_members{name,state}, myelin_ring_tokens_owned{name,member},
// myelin_ring_member_ownership_percent{name,member}, myelin_ring_tokens_total{name}.
// Several rings share one Registry, so the gauges are created once per Registry and read every
// ring registered on it.
import { Gauge, type Registry } from 'prom-client';
import { heartbeatFresh, stateName } from './desc.js';
import type { ReadRing } from './ring-view.js';

export interface MeteredRing {
  readonly name: string;
  view(): ReadRing;
  heartbeatTimeout(): number;
  now(): number;
}

const ringsByRegistry = new WeakMap<Registry, Set<MeteredRing>>();
const memberStates = ['ACTIVE', 'LEAVING', 'PENDING', 'JOINING', 'LEFT', 'Unhealthy'];

/** Adds `ring` to the metrics of `reg`; returns the function that removes it. */
export function registerRingMetrics(reg: Registry, ring: MeteredRing): () => void {
  let rings = ringsByRegistry.get(reg);
  if (rings === undefined) {
    const all = new Set<MeteredRing>();
    rings = all;
    ringsByRegistry.set(reg, all);
    createGauges(reg, all);
  }
  rings.add(ring);
  return () => rings.delete(ring);
}

/**
 * The gauges that describe the ring as one observer sees it: every observer in a process sees the
 * same ring, so a process reports them once (its ingester shard workers' copies are dropped).
 */
export const ringViewMetricNames: ReadonlySet<string> = new Set([
  'myelin_ring_members', 'myelin_ring_tokens_owned', 'myelin_ring_member_ownership_percent', 'myelin_ring_tokens_total',
]);

function createGauges(reg: Registry, rings: Set<MeteredRing>): void {
  new Gauge({
    name: 'myelin_ring_members',
    help: 'Instances in the ring by state; instances with a stale heartbeat count as Unhealthy.',
    labelNames: ['name', 'state'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of rings) {
        const counts = new Map(memberStates.map((s) => [s, 0]));
        const now = r.now();
        for (const i of r.view().snapshot().instances) {
          const s = heartbeatFresh(i, r.heartbeatTimeout(), now) ? stateName(i.state) : 'Unhealthy';
          counts.set(s, (counts.get(s) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ name: r.name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'myelin_ring_tokens_owned',
    help: 'Tokens each instance owns after token-conflict resolution.',
    labelNames: ['name', 'member'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of rings) {
        const snap = r.view().snapshot();
        const owned = snap.tokensOwned();
        snap.instances.forEach((i, idx) => this.set({ name: r.name, member: i.id }, owned[idx]));
      }
    },
  });
  new Gauge({
    name: 'myelin_ring_member_ownership_percent',
    help: 'Share of the token space each instance owns, from 0 to 1.',
    labelNames: ['name', 'member'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of rings) {
        const snap = r.view().snapshot();
        const own = snap.ownership();
        snap.instances.forEach((i, idx) => this.set({ name: r.name, member: i.id }, own[idx]));
      }
    },
  });
  new Gauge({
    name: 'myelin_ring_tokens_total',
    help: 'Distinct tokens in the ring.',
    labelNames: ['name'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of rings) this.set({ name: r.name }, r.view().snapshot().tokens.length);
    },
  });
}
