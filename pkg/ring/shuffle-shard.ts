// Shuffle sharding (Cortex's algorithm idea): a tenant's subring is chosen by a PRNG seeded from
// the tenant id, the same number of instances in every zone, so the same tenant gets the same
// instances on every client and call while the ring does not change.
import type { RingSnapshot } from './ring-snapshot.js';

/** FNV-1a over the UTF-16 code units of `s`. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG returning uint32 values. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Instance indexes of the subring of `size` instances for `tenant`: ceil(size / zones) per zone.
 * Each pick draws a random token and takes its owner, or the next instance of the zone clockwise
 * that is not picked yet.
 */
export function shuffleShardInstances(snap: RingSnapshot, tenant: string, size: number): Set<number> {
  const zones = snap.zones;
  const perZone = Math.ceil(size / zones.length);
  const picked = new Set<number>();
  for (const zone of zones) {
    // Tokens of this zone only, so every draw lands on an instance of the zone.
    const zTokens: number[] = [];
    const zOwners: number[] = [];
    for (let i = 0; i < snap.tokens.length; i++) {
      if (snap.instances[snap.owners[i]].zone !== zone) continue;
      zTokens.push(snap.tokens[i]);
      zOwners.push(snap.owners[i]);
    }
    const zoneInstances = new Set(zOwners).size;
    const rand = prng(fnv1a32(`${tenant}\u0000${zone}`));
    for (let n = 0; n < Math.min(perZone, zoneInstances); n++) {
      let at = lowerBound(zTokens, rand());
      for (let step = 0; step < zTokens.length; step++, at++) {
        const owner = zOwners[at % zTokens.length];
        if (!picked.has(owner)) {
          picked.add(owner);
          break;
        }
      }
    }
  }
  return picked;
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
