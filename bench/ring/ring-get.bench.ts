// Ring lookup cost on the distributor's hot path (one get per series) and the cost of rebuilding
// the token index when an instance joins or leaves. BENCH_SMOKE=1 runs a few thousand iterations.
import { RingSnapshot, RingView, Write } from '../../pkg/ring/index.js';
import type { InstanceDesc } from '../../pkg/ring/index.js';
import { instance, seededTokens } from '../../pkg/ring/testing.js';

const smoke = process.env.BENCH_SMOKE === '1';
const lookups = smoke ? 10_000 : 2_000_000;
const rebuilds = smoke ? 5 : 200;

for (const [instances, zones] of [[30, 0], [100, 0], [100, 3]] as const) {
  const descs = Array.from({ length: instances }, (_, i) =>
    instance(`ingester-${i}`, seededTokens(i + 1, 128), { zone: zones > 0 ? `zone-${i % zones}` : '', timestamp: Math.floor(Date.now() / 1000) }),
  );
  let t0 = process.hrtime.bigint();
  let snap = new RingSnapshot(descs);
  for (let i = 1; i < rebuilds; i++) snap = new RingSnapshot(descs);
  const rebuildMs = Number(process.hrtime.bigint() - t0) / 1e6 / rebuilds;

  const view = new RingView(snap, { replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwarenessEnabled: zones > 0 }, Date.now);
  const keys = new Uint32Array(seededTokens(4242, Math.min(lookups, 100_000)));
  const buf: InstanceDesc[] = [];
  let sink = 0;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) sink += view.get(keys[i % keys.length], Write, buf).instances.length;
  const nsPerGet = Number(process.hrtime.bigint() - t0) / lookups;
  if (sink !== lookups * 3) throw new Error(`BUG: expected 3 instances per lookup, got ${sink / lookups}`);
  console.log(
    `instances=${instances} zones=${zones} tokens=${snap.tokens.length}: get ${nsPerGet.toFixed(0)} ns/op (${lookups} lookups), rebuild ${rebuildMs.toFixed(2)} ms`,
  );
}
