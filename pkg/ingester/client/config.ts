// The `ingester_client` config section (Cortex ingester/client.Config, gRPC part).
import { bytes, ConfigError, duration, oneOf, section, type ConfigOf } from '../../flagext/index.js';
import { clientTlsFields } from '../../tls/index.js';

export const ingesterClientConfig = section({
  grpcClientConfig: section({
    maxRecvMsgSize: bytes({ flag: 'ingester.client.grpc-max-recv-msg-size', default: 100 << 20, help: 'Largest gRPC message a client of the ingesters receives.' }),
    maxSendMsgSize: bytes({ flag: 'ingester.client.grpc-max-send-msg-size', default: 4 << 20, help: 'Largest gRPC message a client of the ingesters sends; the distributor splits pushes into messages of at most this size. Keep it at or below the ingesters\' -server.grpc-max-recv-msg-size-bytes.' }),
    grpcCompression: oneOf(['', 'gzip'], {
      flag: 'ingester.client.grpc-compression',
      default: '',
      refused: { 'snappy-block': 'snappy-block is not supported: use gzip or "" (none)', snappy: 'snappy is not supported: use gzip or "" (none)', zstd: 'zstd is not supported: use gzip or "" (none)' },
      help: 'Compression of gRPC calls to ingesters: \'\' (none) or \'gzip\'.',
    }),
    // gRPC's own reconnect backoff grows to 120s: an ingester that crashed and came back on the same
    // address would stay unreachable to its clients (calls fail fast meanwhile) for that long.
    connectBackoffBaseDelay: duration({ flag: 'ingester.client.connect-backoff-base-delay', default: '1s', help: 'Delay before the first reconnect to an ingester after a failed connection.' }),
    connectBackoffMaxDelay: duration({ flag: 'ingester.client.connect-backoff-max-delay', default: '5s', help: 'Longest delay between reconnects to an ingester: the longest a restarted ingester stays unreachable to its clients.' }),
    ...clientTlsFields('ingester.client'),
  }),
});
export type IngesterClientConfig = ConfigOf<typeof ingesterClientConfig>;

/** Throws a ConfigError when the reconnect backoff could not work: no delay, or a ceiling below the start. */
export function validateIngesterClientConfig(cfg: IngesterClientConfig): void {
  const g = cfg.grpcClientConfig;
  if (g.connectBackoffBaseDelay <= 0) {
    throw new ConfigError('ingester_client.grpc_client_config.connect_backoff_base_delay', 'must be above 0 (-ingester.client.connect-backoff-base-delay): a client would reconnect to a dead ingester in a busy loop');
  }
  if (g.connectBackoffMaxDelay < g.connectBackoffBaseDelay) {
    throw new ConfigError('ingester_client.grpc_client_config.connect_backoff_max_delay', 'must be at least connect_backoff_base_delay (-ingester.client.connect-backoff-max-delay)');
  }
}
