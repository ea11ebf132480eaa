// Builds the KVClient a kvstore config asks for, instrumented and with its prefix applied.
import type { Logger } from '../log/index.js';
import type { Registry } from 'prom-client';
import type { KVClient } from './client.js';
import type { Codec } from './codec.js';
import type { KVConfig, KVStoreName } from './config.js';
import { EtcdClient } from './etcd/etcd-client.js';
import { InstrumentedClient } from './instrumented-client.js';
import { MemoryClient } from './memory/memory-client.js';
import type { KVStore } from './memory/memory-store.js';
import { kvWatchRestarts } from './metrics.js';
import { MultiClient } from './multi/multi-client.js';

export interface KVDeps {
  /** The process's in-memory store, shared by all rings (owned by the module graph), or a worker's bridge to it. */
  memory: KVStore;
  logger: Logger;
  registry: Registry;
  /** Names this client in metrics (`kv_name`), e.g. `ingester-ring`. */
  kvName: string;
}

/** `cfg` was checked by validateKVConfig with the rest of the configuration, before any server listened. */
export function createKVClient<T>(cfg: KVConfig, codec: Codec<T>, deps: KVDeps): KVClient<T> {
  if (cfg.store !== 'multi') return createSingle(cfg.store, cfg, codec, deps);
  const names = [cfg.multi.primary, cfg.multi.secondary] as KVStoreName[];
  return new MultiClient(
    cfg.multi,
    names.map((name) => ({ name, client: createSingle(name, cfg, codec, deps) })),
    { logger: deps.logger, registry: deps.registry, kvName: deps.kvName },
  );
}

function createSingle<T>(store: KVStoreName, cfg: KVConfig, codec: Codec<T>, deps: KVDeps): KVClient<T> {
  let client: KVClient<T>;
  switch (store) {
    case 'inmemory':
      client = new MemoryClient(deps.memory, codec, cfg.prefix);
      break;
    case 'etcd': {
      const restarts = kvWatchRestarts(deps.registry);
      client = new EtcdClient(cfg.etcd, codec, cfg.prefix, {
        logger: deps.logger.child({ component: 'kv', store: 'etcd' }),
        onWatchRestart: () => restarts.inc({ kv_name: deps.kvName, store: 'etcd' }),
      });
      break;
    }
    case 'multi':
      throw new Error('BUG: multi KV store nested in multi');
  }
  return new InstrumentedClient(client, deps.registry, deps.kvName, store);
}
