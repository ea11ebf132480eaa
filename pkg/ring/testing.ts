// Test helpers: instance descriptors with seeded random tokens. Not used by production code.
import { InstanceDesc, InstanceState } from './desc.js';

/** Deterministic uint32 generator (xorshift32) for reproducible test rings. */
export function seededTokens(seed: number, n: number): number[] {
  let x = seed >>> 0 || 1;
  const out = new Set<number>();
  while (out.size < n) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.add(x);
  }
  return [...out].sort((a, b) => a - b);
}

export function instance(id: string, tokens: number[], over: Partial<InstanceDesc> = {}): InstanceDesc {
  return InstanceDesc.fromPartial({
    id,
    addr: `${id}:9095`,
    state: InstanceState.ACTIVE,
    tokens,
    timestamp: 1_000_000,
    registeredTimestamp: 1_000,
    ...over,
  });
}
