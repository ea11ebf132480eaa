// Config tables of a ring client and of the lifecycler. Flag names follow Cortex: the ingester
// ring uses `-ring.*`, `-distributor.replication-factor` and `-ingester.*`; other rings pass their
// prefix (`distributor.ring.`, `store-gateway.sharding-ring.`, `compactor.ring.`).
import { hostname } from 'node:os';
import { bool, duration, int, section, string, type ConfigOf } from '../flagext/index.js';
import { kvConfig } from '../kv/index.js';

export function ringConfig(flagPrefix: string) {
  const ringFlag = (n: string) => `${flagPrefix === '' ? 'ring.' : flagPrefix}${n}`;
  const replFlag = (n: string) => `${flagPrefix === '' ? 'distributor.' : flagPrefix}${n}`;
  return section({
    kvstore: kvConfig(flagPrefix),
    heartbeatTimeout: duration({
      flag: ringFlag('heartbeat-timeout'),
      default: '1m',
      help: 'An instance whose last heartbeat is older than this is unhealthy and skipped by lookups. 0 disables the check.',
    }),
    replicationFactor: int({ flag: replFlag('replication-factor'), default: 3, min: 1, help: 'Copies of each series (or shard) the ring returns.' }),
    zoneAwarenessEnabled: bool({
      flag: replFlag('zone-awareness-enabled'),
      default: false,
      help: 'Place the replicas of a key in distinct zones (see the lifecycler\'s availability zone).',
    }),
  });
}
export type RingConfig = ConfigOf<ReturnType<typeof ringConfig>>;

/**
 * How a lifecycler's instance options are named. The ingester's lifecycler is its own YAML section
 * (`id`, `address`, `port`, `availability_zone`, flags `-ingester.lifecycler.ID` ...); the other
 * rings carry them inside the ring section, prefixed `instance_` (flags `-<ring>instance-id` ...).
 */
type InstanceNaming = 'lifecycler' | 'ring';

function lifecyclerFields(flagPrefix: string, naming: InstanceNaming) {
  const f = (n: string) => `${flagPrefix}${n}`;
  const ring = naming === 'ring';
  return {
    id: string({
      flag: f(ring ? 'instance-id' : 'lifecycler.ID'), yaml: ring ? 'instance_id' : 'id', default: hostname(),
      help: 'ID of this instance in the ring; must be unique (default: the hostname).',
    }),
    addr: string({
      flag: f(ring ? 'instance-addr' : 'lifecycler.addr'), yaml: ring ? 'instance_addr' : 'address', default: '',
      help: 'Address other components reach this instance on: a host (with the port below) or host:port. Empty: the gRPC listen address, else the first non-loopback IPv4 address.',
    }),
    port: int({
      flag: f(ring ? 'instance-port' : 'lifecycler.port'), yaml: ring ? 'instance_port' : 'port', default: 0, min: 0,
      help: 'Port advertised with the address; 0 means -server.grpc-listen-port.',
    }),
    availabilityZone: string({
      flag: f(ring ? 'instance-availability-zone' : 'availability-zone'), yaml: ring ? 'instance_availability_zone' : 'availability_zone', default: '',
      help: 'The zone of this instance, for zone-aware replication.',
    }),
    numTokens: int({ flag: f('num-tokens'), default: 128, min: 1, help: 'Tokens this instance claims in the ring.' }),
    heartbeatPeriod: duration({ flag: f('heartbeat-period'), default: '5s', help: 'Period of heartbeats to the ring (±10% jitter).' }),
    joinAfter: duration({ flag: f('join-after'), default: '0s', help: 'Wait this long in PENDING (for a token transfer) before claiming new tokens.' }),
    observePeriod: duration({
      flag: f('observe-period'),
      default: '0s',
      help: 'Stay JOINING this long, watching for token conflicts, before becoming ACTIVE.',
    }),
    minReadyDuration: duration({
      flag: f('min-ready-duration'),
      default: '0s',
      help: 'Report not ready (GET /ready 503) until this long after becoming ACTIVE, so a rolling restart waits for the ring to settle (Cortex\'s default is 15s).',
    }),
    finalSleep: duration({
      flag: f('final-sleep'),
      default: '0s',
      help: 'Sleep this long at the end of shutdown, after leaving the ring, so /metrics is scraped one last time (Cortex\'s default is 30s).',
    }),
    tokensFilePath: string({ flag: f('tokens-file-path'), default: '', help: 'File that keeps this instance\'s tokens across restarts; empty disables it.' }),
    unregisterOnShutdown: bool({ flag: f('unregister-on-shutdown'), default: true, help: 'Remove this instance from the ring on shutdown.' }),
    autoForgetUnhealthyPeriods: int({
      flag: f('auto-forget-unhealthy-periods'),
      default: 10,
      min: 0,
      help: 'Remove instances unhealthy for this many heartbeat timeouts from the ring. 0 disables it.',
    }),
  };
}

/** The ingester's `lifecycler` section (its ring is the `ring` subsection, added by the ingester config). */
export function lifecyclerConfig(flagPrefix: string) {
  return section(lifecyclerFields(flagPrefix, 'lifecycler'));
}
export type LifecyclerConfig = ConfigOf<ReturnType<typeof lifecyclerConfig>>;

/**
 * A ring section that also describes this process's own instance in it, as Cortex's distributor,
 * store-gateway and compactor rings do (`instance_id`, `instance_addr`, ...). The config object is
 * both a RingConfig and a LifecyclerConfig.
 */
export function ringWithInstanceConfig(flagPrefix: string) {
  return section({ ...ringConfig(flagPrefix).fields, ...lifecyclerFields(flagPrefix, 'ring') });
}
export type RingWithInstanceConfig = ConfigOf<ReturnType<typeof ringWithInstanceConfig>>;

/**
 * The address a lifecycler registers: `addr` as given when it holds a port, else its host (or
 * `defaultHost`) with `port` (or `defaultPort`).
 */
export function instanceAddr(cfg: Pick<LifecyclerConfig, 'addr' | 'port'>, defaultHost: () => string, defaultPort: number): string {
  if (/:\d+$/.test(cfg.addr)) return cfg.addr;
  return `${cfg.addr === '' ? defaultHost() : cfg.addr}:${cfg.port === 0 ? defaultPort : cfg.port}`;
}
