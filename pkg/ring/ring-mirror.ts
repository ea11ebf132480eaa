// A ReadRing in a thread that does not watch the KV itself (a query worker): the thread that owns
// the Ring sends the instance descriptors when the ring's layout changes, and the heartbeat
// timestamps when it asks for a lookup, so both threads see the same ring and the same health.
import type { InstanceDesc } from './desc.js';
import { RingSnapshot } from './ring-snapshot.js';
import { CurrentViewRing, RingView } from './ring-view.js';
import type { LookupConfig } from './ring-view.js';

export class RingMirror extends CurrentViewRing {
  readonly #cfg: LookupConfig;
  #view: RingView;

  constructor(cfg: LookupConfig) {
    super();
    this.#cfg = cfg;
    this.#view = new RingView(new RingSnapshot([]), cfg, Date.now);
  }

  override view(): RingView {
    return this.#view;
  }

  /** Replaces the ring's layout with `descs` (any order; LEFT instances are dropped). */
  update(descs: readonly InstanceDesc[]): void {
    this.#view = new RingView(new RingSnapshot(descs), this.#cfg, Date.now);
  }

  /** Heartbeat timestamps, one per instance in `snapshot().instances` order (heartbeatsOf). */
  heartbeats(timestamps: readonly number[]): void {
    const instances = this.#view.snapshot().instances;
    if (timestamps.length !== instances.length) throw new Error(`BUG: ${timestamps.length} heartbeats for ${instances.length} instances`);
    for (let i = 0; i < instances.length; i++) instances[i].timestamp = timestamps[i];
  }
}

/** The heartbeat timestamps a RingMirror of `snap`'s ring needs, in its instance order. */
export function heartbeatsOf(snap: RingSnapshot): number[] {
  return snap.instances.map((i) => i.timestamp);
}
