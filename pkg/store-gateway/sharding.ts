// Which store-gateways own a block: hash the block ID (FNV-1a, as Cortex' HashBlockID), walk the
// ring clockwise and take the first RF distinct healthy instances. Unlike ingester lookups there is
// no quorum: an unhealthy instance is skipped and the walk goes on, so its blocks move to the next
// instances once its heartbeat is stale (or at once when it leaves the ring).
import { InstanceState, fnv1a32, heartbeatFresh, type InstanceDesc, type RingSnapshot } from '../ring/index.js';

export function blockKey(blockId: string): number {
  return fnv1a32(blockId);
}

/** States in which an instance holds (or is loading) blocks. */
const syncStates = new Set<InstanceState>([InstanceState.JOINING, InstanceState.ACTIVE, InstanceState.LEAVING]);
/** States in which an instance answers queries. */
const readStates = new Set<InstanceState>([InstanceState.ACTIVE, InstanceState.LEAVING]);

export interface OwnerLookup {
  replicationFactor: number;
  heartbeatTimeout: number;
  now: number;
  /** `sync`: who should load the block; `read`: whom a querier may ask. */
  purpose: 'sync' | 'read';
}

/** Up to RF healthy owners of `blockId`, in ring order (the querier tries them in this order). */
export function blockOwners(snap: RingSnapshot, blockId: string, o: OwnerLookup): InstanceDesc[] {
  const out: InstanceDesc[] = [];
  const n = snap.tokens.length;
  if (n === 0) return out;
  const states = o.purpose === 'sync' ? syncStates : readStates;
  const seen = new Set<number>();
  const start = snap.searchToken(blockKey(blockId));
  for (let i = 0; i < n && out.length < o.replicationFactor && seen.size < snap.instances.length; i++) {
    const idx = snap.owners[(start + i) % n];
    if (seen.has(idx)) continue;
    seen.add(idx);
    const inst = snap.instances[idx];
    if (states.has(inst.state) && heartbeatFresh(inst, o.heartbeatTimeout, o.now)) out.push(inst);
  }
  return out;
}
