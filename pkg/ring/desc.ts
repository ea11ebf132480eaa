// Instance descriptors as stored in the KV (one key per instance, see docs/ring.md) and the
// health rule shared by lookups, status pages and auto-forget.
import { InstanceDesc, InstanceState } from '../generated/myelin/ring.js';
import { protoCodec, type Codec } from '../kv/index.js';

export { InstanceDesc, InstanceState };

export const instanceDescCodec: Codec<InstanceDesc> = protoCodec('myelin.ring.InstanceDesc', InstanceDesc);

export function stateName(s: InstanceState): string {
  switch (s) {
    case InstanceState.ACTIVE:
      return 'ACTIVE';
    case InstanceState.LEAVING:
      return 'LEAVING';
    case InstanceState.PENDING:
      return 'PENDING';
    case InstanceState.JOINING:
      return 'JOINING';
    case InstanceState.LEFT:
      return 'LEFT';
    default:
      return 'UNKNOWN';
  }
}

/** Milliseconds since the last heartbeat (heartbeats are stored in Unix seconds). */
export function heartbeatAgeMs(inst: InstanceDesc, nowMs: number): number {
  return nowMs - inst.timestamp * 1000;
}

/**
 * True when the last heartbeat is recent enough. A timeout of 0 disables the check (Cortex).
 * Heartbeats have one-second resolution, so an instance may look up to 1s older than it is.
 */
export function heartbeatFresh(inst: InstanceDesc, timeoutMs: number, nowMs: number): boolean {
  return timeoutMs <= 0 || heartbeatAgeMs(inst, nowMs) <= timeoutMs;
}

/** The key of an instance under the ring's key: `<ringKey>/<id>`. */
export function instanceKey(ringKey: string, id: string): string {
  return `${ringKey}/${id}`;
}
