// The `ingester_client` config section (Cortex ingester/client.Config, gRPC part).
import { bytes, oneOf, section, type ConfigOf } from '../../flagext/index.js';
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
    ...clientTlsFields('ingester.client'),
  }),
});
export type IngesterClientConfig = ConfigOf<typeof ingesterClientConfig>;
