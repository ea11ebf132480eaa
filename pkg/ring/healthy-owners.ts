// Owners of a key for sharded work (store-gateway blocks, ruler groups): walk the ring clockwise
// from the key's token and take the first `count` distinct instances that are in one of `states`
// with a fresh heartbeat. Unlike replication lookups there is no quorum: an unhealthy instance is
// skipped and the walk goes on, so its share moves to the next instances once its heartbeat is
// stale (or at once when it leaves the ring).
import { heartbeatFresh, type InstanceDesc, type InstanceState } from './desc.js';
import type { RingSnapshot } from './ring-snapshot.js';

export interface OwnersLookup {
  count: number;
  states: ReadonlySet<InstanceState>;
  heartbeatTimeout: number;
  now: number;
}

export function healthyOwners(snap: RingSnapshot, key: number, o: OwnersLookup): InstanceDesc[] {
  const out: InstanceDesc[] = [];
  const n = snap.tokens.length;
  if (n === 0) return out;
  const seen = new Set<number>();
  const start = snap.searchToken(key);
  for (let i = 0; i < n && out.length < o.count && seen.size < snap.instances.length; i++) {
    const idx = snap.owners[(start + i) % n];
    if (seen.has(idx)) continue;
    seen.add(idx);
    const inst = snap.instances[idx];
    if (o.states.has(inst.state) && heartbeatFresh(inst, o.heartbeatTimeout, o.now)) out.push(inst);
  }
  return out;
}
