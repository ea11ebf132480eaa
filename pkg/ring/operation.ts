// Ring operations (dskit ring.Operation): which states count as healthy for an operation, and
// which states make a lookup take one more instance so a joining or leaving instance does not
// shrink the replica set.
import { InstanceState } from './desc.js';

export interface Operation {
  readonly name: string;
  isHealthyState(s: InstanceState): boolean;
  /** When an instance in state `s` is in the set, walk on for one more instance. */
  extendsReplicaSet(s: InstanceState): boolean;
}

function op(name: string, healthy: InstanceState[], extend: (s: InstanceState) => boolean): Operation {
  const set = new Set(healthy);
  return { name, isHealthyState: (s) => set.has(s), extendsReplicaSet: extend };
}

/**
 * Writes go to ACTIVE instances only; a non-ACTIVE instance in the walk adds one more instance, so
 * the data still reaches RF instances that will own it (dskit ring.Write).
 */
export const Write = op('write', [InstanceState.ACTIVE], (s) => s !== InstanceState.ACTIVE);

/** Like Write without the extension (dskit ring.WriteNoExtend). */
export const WriteNoExtend = op('write-no-extend', [InstanceState.ACTIVE], () => false);

/**
 * Reads may use PENDING and LEAVING instances (a LEAVING instance still holds its data, so it does
 * not extend the set); JOINING instances extend it, matching the extension writes made (dskit
 * ring.Read).
 */
export const Read = op(
  'read',
  [InstanceState.ACTIVE, InstanceState.PENDING, InstanceState.LEAVING],
  (s) => s !== InstanceState.ACTIVE && s !== InstanceState.LEAVING,
);

/** Every state is healthy; only the heartbeat counts (dskit ring.Reporting). */
export const Reporting = op(
  'reporting',
  [InstanceState.ACTIVE, InstanceState.LEAVING, InstanceState.PENDING, InstanceState.JOINING, InstanceState.LEFT],
  () => false,
);
