// The instances a key is sent to, and how many of them may fail (dskit ReplicationSet).
import type { InstanceDesc } from './desc.js';

export interface ReplicationSet {
  instances: InstanceDesc[];
  /** Calls that may fail while the operation still succeeds: instances - quorum. */
  maxErrors: number;
}

/** Thrown by lookups when too few healthy instances remain for a quorum. */
export class TooFewHealthyInstancesError extends Error {
  readonly code = 'RING_TOO_FEW_HEALTHY';
  readonly needed: number;
  readonly found: number;
  readonly unhealthy: readonly string[];
  constructor(needed: number, found: number, unhealthy: readonly string[]) {
    super(
      `at least ${needed} healthy replicas required, found ${found}` +
        (unhealthy.length > 0 ? `; unhealthy instances: ${unhealthy.join(', ')}` : ''),
    );
    this.name = 'TooFewHealthyInstancesError';
    this.needed = needed;
    this.found = found;
    this.unhealthy = unhealthy;
  }
}

/** Thrown when the ring has no instances with tokens. */
export class EmptyRingError extends Error {
  readonly code = 'RING_EMPTY';
  constructor() {
    super('empty ring');
    this.name = 'EmptyRingError';
  }
}

/** quorum = floor(n/2) + 1 */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}
