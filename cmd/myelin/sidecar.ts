// `myelin sidecar`: ships the blocks of a running Prometheus to Myelin (Thanos sidecar's shipper),
// and serves its own metrics on /metrics.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { BlockUploadClient } from '../../pkg/compactor/client/index.js';
import { parseDuration } from '../../pkg/flagext/index.js';
import { createLogger } from '../../pkg/log/index.js';
import { Shipper, checkPrometheusBlockDurations } from '../../pkg/sidecar/index.js';

const usage = `usage: myelin sidecar --tenant TENANT --address URL --tsdb.path DIR [options]
Uploads every new block of the Prometheus data directory DIR to Myelin's block upload API at URL
for TENANT, once; what was shipped is kept in --state-file. Prometheus must run with
--storage.tsdb.min-block-duration equal to --storage.tsdb.max-block-duration.
  --prometheus.url URL       check that Prometheus' block durations are equal before starting
  --state-file FILE          default DIR/myelin.shipper.json
  --interval DURATION        between passes over DIR (default 30s)
  --http-address HOST:PORT   where /metrics and /ready are served (default 127.0.0.1:10902)
  --shipper.upload-compacted also ship blocks Prometheus compacted
  --log.level LEVEL          debug, info, warn, error (default info)`;

export async function sidecarCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        tenant: { type: 'string' }, address: { type: 'string' }, 'tsdb.path': { type: 'string' },
        'prometheus.url': { type: 'string' }, 'state-file': { type: 'string' }, interval: { type: 'string', default: '30s' },
        'http-address': { type: 'string', default: '127.0.0.1:10902' }, 'shipper.upload-compacted': { type: 'boolean', default: false },
        'log.level': { type: 'string', default: 'info' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help === true) {
    console.log(usage);
    return 0;
  }
  const interval = parseDuration(v.interval);
  const [host, port] = [v['http-address'].replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(v['http-address'])?.[1])];
  const problem = v.tenant === undefined ? '--tenant is required' : v.address === undefined ? '--address is required'
    : v['tsdb.path'] === undefined ? '--tsdb.path is required' : interval === undefined || interval <= 0 ? `--interval: invalid duration ${v.interval}`
      : !Number.isInteger(port) ? `--http-address: expected host:port, got ${v['http-address']}`
        : !['debug', 'info', 'warn', 'error'].includes(v['log.level']) ? `--log.level: unknown level ${v['log.level']}` : undefined;
  if (problem !== undefined) {
    console.error(`${problem}\n${usage}`);
    return 2;
  }
  const dir = v['tsdb.path'] as string;
  const log = createLogger({ level: v['log.level'] as 'info', format: 'logfmt' }).child({ tenant: v.tenant });
  if (v['prometheus.url'] !== undefined) {
    try {
      await checkPrometheusBlockDurations(v['prometheus.url']);
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      return 1;
    }
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const client = new BlockUploadClient({ address: v.address as string, tenant: v.tenant as string, validationTimeout: 10 * 60_000, pollInterval: 1000 });
  const shipper = new Shipper({ dir, stateFile: v['state-file'] ?? join(dir, 'myelin.shipper.json'), uploadCompacted: v['shipper.upload-compacted'] },
    { client, logger: log, registry });

  const http = createServer((req, res) => {
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text));
    } else if (req.url === '/ready') {
      res.writeHead(200).end('ready\n');
    } else {
      res.writeHead(404).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, host, resolve));
  log.info({ address: v['http-address'], dir }, 'sidecar started');

  const service = shipper.service(interval as number);
  service.startAsync();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    void service.awaitTerminated().catch(() => undefined).then(resolve);
  });
  service.stopAsync();
  await service.awaitTerminated().catch((err: unknown) => log.error({ err }, 'shipper failed'));
  http.close();
  log.info('sidecar stopped');
  return service.failureCase() === undefined ? 0 : 1;
}
