// The `kvstore` section of every ring: which store holds the ring and under which key prefix.
// YAML keys and flags follow Cortex (`-ring.store`, `-ring.prefix`, `-etcd.endpoints`, with a
// per-ring flag prefix such as `distributor.ring.`); see docs/ring.md.
import type { EtcdConfig } from './etcd/etcd-client.js';
import type { MultiConfig } from './multi/multi-client.js';

export const kvStores = ['inmemory', 'etcd', 'multi'] as const;
export type KVStoreName = (typeof kvStores)[number];

export interface KVConfig {
  store: KVStoreName;
  /** Prepended to every key, e.g. `collectors/`. */
  prefix: string;
  etcd: EtcdConfig;
  multi: MultiConfig;
}

export function defaultEtcdConfig(): EtcdConfig {
  return {
    endpoints: [],
    dialTimeout: 10_000,
    maxRetries: 10,
    tlsEnabled: false,
    tlsCertPath: '',
    tlsKeyPath: '',
    tlsCaPath: '',
    tlsServerName: '',
    username: '',
    password: '',
  };
}

export function defaultKVConfig(): KVConfig {
  return {
    store: 'inmemory',
    prefix: 'collectors/',
    etcd: defaultEtcdConfig(),
    multi: { primary: '', secondary: '', mirrorEnabled: false, mirrorTimeout: 2000 },
  };
}

export function validateKVConfig(cfg: KVConfig): void {
  if (!kvStores.includes(cfg.store)) throw new Error(`unknown KV store ${JSON.stringify(cfg.store)} (want one of ${kvStores.join(', ')})`);
  if (cfg.store === 'etcd' && cfg.etcd.endpoints.length === 0) throw new Error('the etcd KV store needs at least one endpoint');
  if (cfg.store === 'multi') {
    const { primary, secondary } = cfg.multi;
    for (const [what, name] of [['primary', primary], ['secondary', secondary]] as const) {
      if (name === 'multi' || !kvStores.includes(name as KVStoreName)) {
        throw new Error(`multi KV store: invalid ${what} store ${JSON.stringify(name)}`);
      }
    }
    if (primary === secondary) throw new Error('multi KV store: primary and secondary must differ');
  }
}
