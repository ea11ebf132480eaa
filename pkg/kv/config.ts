// The `kvstore` section of every ring: which store holds the ring and under which key prefix.
// Flags follow Cortex's kv.Config.RegisterFlagsWithPrefix: with an empty flag prefix (the
// ingester ring) they are `-ring.store`, `-ring.prefix`, `-etcd.endpoints`, `-multi.primary`; with
// `distributor.ring.` they are `-distributor.ring.store`, `-distributor.ring.etcd.endpoints`, ...
import { bool, ConfigError, duration, int, oneOf, section, string, stringList, type ConfigOf } from '../flagext/index.js';

export const kvStores = ['inmemory', 'etcd', 'multi'] as const;
export type KVStoreName = (typeof kvStores)[number];

const refusedStores = {
  memberlist: 'memberlist is not supported: Myelin keeps its rings in etcd (store: etcd), or in memory for a single process (store: inmemory)',
  consul: 'consul is not supported: use etcd, or inmemory for a single process',
  dynamodb: 'dynamodb is not supported: use etcd, or inmemory for a single process',
};

export function etcdConfig(flagPrefix: string) {
  const f = (name: string) => `${flagPrefix}etcd.${name}`;
  return section({
    endpoints: stringList({ flag: f('endpoints'), default: [], help: 'The etcd endpoints to connect to (host:port, comma-separated).' }),
    dialTimeout: duration({ flag: f('dial-timeout'), default: '10s', help: 'The dial timeout for the etcd connection.' }),
    maxRetries: int({ flag: f('max-retries'), default: 10, min: 1, help: 'Attempts of a compare-and-swap against etcd, conflicts and transient errors alike.' }),
    tlsEnabled: bool({ flag: f('tls-enabled'), default: false, category: 'advanced', help: 'Connect to etcd over TLS.' }),
    tlsCertPath: string({ flag: f('tls-cert-path'), default: '', category: 'advanced', help: 'Client certificate for etcd (PEM); needs -' + f('tls-key-path') + '.' }),
    tlsKeyPath: string({ flag: f('tls-key-path'), default: '', category: 'advanced', help: 'Client key for etcd (PEM).' }),
    tlsCaPath: string({ flag: f('tls-ca-path'), default: '', category: 'advanced', help: 'CA certificates to verify etcd with (PEM); empty uses the system roots.' }),
    tlsServerName: string({ flag: f('tls-server-name'), default: '', category: 'advanced', help: 'Override the server name expected in etcd\'s certificate.' }),
    username: string({ flag: f('username'), default: '', help: 'Etcd username (password authentication).' }),
    password: string({ flag: f('password'), default: '', secret: true, help: 'Etcd password.' }),
  });
}

export function multiConfig(flagPrefix: string) {
  const f = (name: string) => `${flagPrefix}multi.${name}`;
  return section({
    primary: string({ flag: f('primary'), default: '', help: 'Primary store of the multi KV store (inmemory or etcd).' }),
    secondary: string({ flag: f('secondary'), default: '', help: 'Secondary store of the multi KV store (inmemory or etcd).' }),
    mirrorEnabled: bool({ flag: f('mirror-enabled'), default: false, help: 'Mirror writes to the secondary store.' }),
    mirrorTimeout: duration({ flag: f('mirror-timeout'), default: '2s', help: 'Timeout of a write mirrored to the secondary store.' }),
  });
}

/**
 * The kvstore table. `flagPrefix` is the ring's flag prefix (`''` for the ingester ring,
 * `distributor.ring.`, `store-gateway.sharding-ring.`, ...).
 */
export function kvConfig(flagPrefix: string, defaultPrefix = 'collectors/') {
  const top = flagPrefix === '' ? 'ring.' : flagPrefix;
  return section({
    store: oneOf<KVStoreName>(kvStores, {
      flag: `${top}store`,
      default: 'inmemory',
      refused: refusedStores,
      help: 'Backend storage for the ring: inmemory (one process), etcd or multi.',
    }),
    prefix: string({ flag: `${top}prefix`, default: defaultPrefix, help: 'Prefix of every key this ring writes in the KV store.' }),
    etcd: etcdConfig(flagPrefix),
    multi: multiConfig(flagPrefix),
  });
}

export type KVConfig = ConfigOf<ReturnType<typeof kvConfig>>;
export type EtcdConfig = KVConfig['etcd'];
export type MultiConfig = KVConfig['multi'];

/** Throws a ConfigError naming `<path>.<key>` (path: where this kvstore sits, e.g. `ingester.lifecycler.ring.kvstore`). */
export function validateKVConfig(cfg: KVConfig, path: string): void {
  if (cfg.store === 'etcd' && cfg.etcd.endpoints.length === 0) throw new ConfigError(`${path}.etcd.endpoints`, 'the etcd KV store needs at least one endpoint');
  if (cfg.store === 'multi') {
    const { primary, secondary } = cfg.multi;
    for (const [what, name] of [['primary', primary], ['secondary', secondary]] as const) {
      if (name !== 'inmemory' && name !== 'etcd') throw new ConfigError(`${path}.multi.${what}`, `invalid ${what} store ${JSON.stringify(name)} (want inmemory or etcd)`);
    }
    if (primary === secondary) throw new ConfigError(`${path}.multi.secondary`, 'primary and secondary must differ');
  }
  if (cfg.etcd.tlsCertPath !== '' && cfg.etcd.tlsKeyPath === '') throw new ConfigError(`${path}.etcd.tls_key_path`, 'a client certificate (tls_cert_path) needs a key');
}
