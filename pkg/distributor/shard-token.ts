// The ring token of a series (Cortex distributor shardByAllLabels): FNV-1a (32 bit) over the
// tenant and every label name and value in order, skipping one label (the HA replica label, so
// that both replicas of a series land on the same ingesters). Strings are hashed by UTF-16 code
// unit, with a 0xff separator after each so that ("ab","c") and ("a","bc") differ.

const offset32 = 0x811c9dc5;
const prime32 = 0x01000193;

function add(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), prime32);
  return Math.imul(h ^ 0xff, prime32);
}

export function seriesToken(tenant: string, names: readonly string[], values: readonly string[], from: number, to: number, skip: string): number {
  let h = add(offset32, tenant);
  for (let l = from; l < to; l++) {
    if (names[l] === skip) continue;
    h = add(add(h, names[l]), values[l]);
  }
  return h >>> 0;
}

/** The token of a metadata entry: tenant and metric family name (Cortex shardByMetricName). */
export function metadataToken(tenant: string, family: string): number {
  return add(add(offset32, tenant), family) >>> 0;
}
