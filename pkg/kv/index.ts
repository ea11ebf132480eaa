export { CasConflictError, type CasFn, type KVClient, type WatchKeyFn, type WatchPrefixFn } from './client.js';
export { jsonCodec, protoCodec, type Codec, type ProtoMessageFns } from './codec.js';
export {
  etcdConfig,
  kvConfig,
  kvStores,
  multiConfig,
  validateKVConfig,
  type EtcdConfig,
  type KVConfig,
  type KVStoreName,
  type MultiConfig,
} from './config.js';
export { EtcdClient, etcdClientOptions, type EtcdClientOptions } from './etcd/etcd-client.js';
export { createKVClient, type KVDeps } from './factory.js';
export { InstrumentedClient } from './instrumented-client.js';
export { MemoryClient } from './memory/memory-client.js';
export { MemoryStore, type Entry, type KVStore, type StoreListener } from './memory/memory-store.js';
export { PortStore, serveMemoryStore } from './memory/port-store.js';
export { sharedCounter, sharedGauge, sharedHistogram } from './metrics.js';
export { MultiClient, type MultiClientOptions, type NamedClient } from './multi/multi-client.js';
