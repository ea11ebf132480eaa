// Distributor.push CPU per series in one process: a snappy-compressed remote write 1.0 (or, with
// BENCH_PROTOCOL=2.0, 2.0) body of
// node-exporter series through decode, validation, HA check, ring lookups and per-ingester message
// assembly, to a stand-in connection that only takes the bytes (no HTTP, no gRPC). The figure the
// distributor's own code costs; bench/ingest's myelin-distributor target adds the transports.
// BENCH_BASE_DIST=<dir> (a copy of dist/ from before a change, inside the worktree so node_modules
// resolves) runs that build's Distributor too, alternately with this one, on the same bodies, and
// checks both send the same bytes. Env: BENCH_INGESTERS (1), BENCH_RF (1), BENCH_REPS (4),
// BENCH_PROTOCOL (1.0 or 2.0), BENCH_SMOKE=1.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { nodeExporterSeries } from '../ingest/node-exporter-series.js';

const smoke = process.env.BENCH_SMOKE === '1';
const seriesPerRequest = 2_000;
const requestsPerRep = smoke ? 10 : 300;
const reps = Number(process.env.BENCH_REPS ?? (smoke ? 1 : 4));
const ingesters = Number(process.env.BENCH_INGESTERS ?? 1);
const rf = Number(process.env.BENCH_RF ?? 1);
const protocol = process.env.BENCH_PROTOCOL ?? '1.0';
if (protocol !== '1.0' && protocol !== '2.0') throw new Error(`BENCH_PROTOCOL: ${protocol} is neither 1.0 nor 2.0`);

interface Build {
  name: string;
  push: (body: Buffer) => Promise<void>;
  sent: () => number;
}

async function load(name: string, distDir: string): Promise<Build> {
  const mod = (p: string) => import(pathToFileURL(resolve(distDir, 'pkg', p)).href);
  const [dist, flagext, limitsPkg, ring, ringTesting] = await Promise.all([
    mod('distributor/index.js'), mod('flagext/index.js'), mod('limits/index.js'), mod('ring/index.js'), mod('ring/testing.js'),
  ]);
  const limits = { ...flagext.defaults(limitsPkg.limitsConfig), ingestionRate: 1e12, ingestionBurstSize: 1e12 };
  const instances = Array.from({ length: ingesters }, (_, i) => ringTesting.instance(`ingester-${i}`, ringTesting.seededTokens(i + 1, 128), { addr: `ingester-${i}` }));
  const view = new ring.RingView(new ring.RingSnapshot(instances), { replicationFactor: rf, heartbeatTimeout: 0, zoneAwarenessEnabled: false }, Date.now);
  let sent = 0;
  const conn = { maxSendMsgSize: 4 << 20, pushRaw: async (_tenant: string, b: Buffer) => void (sent += b.length), close: () => {} };
  const d = new dist.Distributor(flagext.defaults(dist.distributorConfig), {
    limits: new limitsPkg.Overrides(limits, () => new Map()),
    ingesterRing: view,
    clientFactory: () => conn,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
  });
  return {
    name,
    push: async (body) => {
      const a = await d.push('bench', body, protocol === '2.0' ? 'v2' : 'v1');
      if (a.status !== 200) throw new Error(`${name}: push answered ${a.status} ${a.message}`);
    },
    sent: () => sent,
  };
}

const here = resolve(new URL('../..', import.meta.url).pathname);
const builds = [await load('this build', here)];
if (process.env.BENCH_BASE_DIST) builds.unshift(await load(`base ${process.env.BENCH_BASE_DIST}`, resolve(process.env.BENCH_BASE_DIST)));

const { WriteRequest } = await import('../../pkg/generated/prometheus/remote.js');
const { snappyEncode } = await import('../../pkg/wire/index.js');
const { encodeV2 } = await import('../../pkg/wire/testing.js');
const all = nodeExporterSeries(20 * seriesPerRequest);
const now = Date.now();
const bodies: Buffer[] = [];
for (let r = 0; r < 20; r++) {
  const timeseries = all.slice(r * seriesPerRequest, (r + 1) * seriesPerRequest).map((labels, i) => ({
    labels: labels.map(([name, value]) => ({ name, value })),
    samples: [{ value: i * 1.5, timestamp: now + r }],
    exemplars: [],
    histograms: [],
  }));
  bodies.push(snappyEncode(protocol === '2.0' ? encodeV2(timeseries) : Buffer.from(WriteRequest.encode({ timeseries, metadata: [] }).finish())));
}

const run = async (b: Build, n: number): Promise<void> => {
  for (let k = 0; k < n; k++) await b.push(bodies[k % bodies.length]);
};
for (const b of builds) await run(b, smoke ? 5 : 100);
const figures = new Map(builds.map((b) => [b.name, [] as string[]]));
for (let rep = 0; rep < reps; rep++) {
  for (const b of builds) {
    const c0 = process.cpuUsage();
    await run(b, requestsPerRep);
    const c = process.cpuUsage(c0);
    figures.get(b.name)?.push((((c.user + c.system) * 1000) / (requestsPerRep * seriesPerRequest)).toFixed(0));
  }
}
console.log(`Distributor.push, remote write ${protocol}, ${seriesPerRequest} series of one sample per request, ${ingesters} ingester(s), RF=${rf}: CPU ns per series, ${reps} runs alternated`);
for (const [name, f] of figures) console.log(`  ${name}: ${f.join(' ')}`);
if (builds.length === 2 && builds[0].sent() !== builds[1].sent()) throw new Error('BUG: the two builds sent different byte counts');
