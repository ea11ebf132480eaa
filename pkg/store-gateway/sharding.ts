// Which store-gateways own a block: hash the block ID (FNV-1a, as Cortex' HashBlockID) and take the
// first RF healthy instances clockwise from it (pkg/ring healthyOwners).
import { InstanceState, fnv1a32, healthyOwners, type InstanceDesc, type RingSnapshot } from '../ring/index.js';

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
  return healthyOwners(snap, blockKey(blockId), {
    count: o.replicationFactor, states: o.purpose === 'sync' ? syncStates : readStates, heartbeatTimeout: o.heartbeatTimeout, now: o.now,
  });
}
