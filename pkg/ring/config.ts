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

export function lifecyclerConfig(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}${n}`;
  return section({
    id: string({ flag: f('lifecycler.ID'), default: hostname(), help: 'ID of this instance in the ring; must be unique (default: the hostname).' }),
    addr: string({ flag: f('lifecycler.addr'), default: '', help: 'Address other components use to reach this instance (host:port).' }),
    availabilityZone: string({ flag: f('availability-zone'), default: '', help: 'The zone of this instance, for zone-aware replication.' }),
    numTokens: int({ flag: f('num-tokens'), default: 128, min: 1, help: 'Tokens this instance claims in the ring.' }),
    heartbeatPeriod: duration({ flag: f('heartbeat-period'), default: '5s', help: 'Period of heartbeats to the ring (±10% jitter).' }),
    joinAfter: duration({ flag: f('join-after'), default: '0s', help: 'Wait this long in PENDING (for a token transfer) before claiming new tokens.' }),
    observePeriod: duration({
      flag: f('observe-period'),
      default: '0s',
      help: 'Stay JOINING this long, watching for token conflicts, before becoming ACTIVE.',
    }),
    tokensFilePath: string({ flag: f('tokens-file-path'), default: '', help: 'File that keeps this instance\'s tokens across restarts; empty disables it.' }),
    unregisterOnShutdown: bool({ flag: f('unregister-on-shutdown'), default: true, help: 'Remove this instance from the ring on shutdown.' }),
    autoForgetUnhealthyPeriods: int({
      flag: f('auto-forget-unhealthy-periods'),
      default: 10,
      min: 0,
      help: 'Remove instances unhealthy for this many heartbeat timeouts from the ring. 0 disables it.',
    }),
  });
}
export type LifecyclerConfig = ConfigOf<ReturnType<typeof lifecyclerConfig>>;
