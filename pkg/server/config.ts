import { bytes, duration, int, oneOf, section, string } from '../flagext/index.js';
import type { ConfigOf } from '../flagext/index.js';
import { tlsMinVersions, type TlsMinVersion } from './tls-policy.js';

export const clientAuthTypes = ['', 'NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof clientAuthTypes)[number];

/** `http_tls_config` / `grpc_tls_config`: serve TLS when a certificate is set (Cortex's names and flags). */
function tlsConfig(flagPrefix: string, what: string) {
  const f = (n: string) => `server.${flagPrefix}-tls-${n}`;
  return section({
    certFile: string({ flag: f('cert-path'), default: '', help: `${what} server certificate (PEM). Setting it serves ${what} over TLS.` }),
    keyFile: string({ flag: f('key-path'), default: '', help: `${what} server key (PEM).` }),
    clientAuthType: oneOf<ClientAuthType>(clientAuthTypes, {
      flag: f('client-auth'),
      default: '',
      help: `Client certificate policy of the ${what} server, Go's names: RequireAndVerifyClientCert asks for a certificate signed by the client CA and refuses connections without one; empty is NoClientCert.`,
    }),
    clientCaFile: string({ flag: f('ca-path'), default: '', help: `CA certificates (PEM) that client certificates of the ${what} server are verified against.` }),
  });
}

/** The `server` section: Cortex's names and defaults. */
export const serverConfig = section({
  httpListenAddress: string({ flag: 'server.http-listen-address', default: '', help: 'HTTP server listen address; empty means all interfaces.' }),
  httpListenPort: int({ flag: 'server.http-listen-port', default: 9009, min: 0, help: 'HTTP server listen port.' }),
  grpcListenAddress: string({ flag: 'server.grpc-listen-address', default: '', help: 'gRPC server listen address; empty means all interfaces.' }),
  grpcListenPort: int({ flag: 'server.grpc-listen-port', default: 9095, min: 0, help: 'gRPC server listen port.' }),
  gracefulShutdownTimeout: duration({ flag: 'server.graceful-shutdown-timeout', default: '30s', help: 'Timeout for graceful shutdowns: modules that have not stopped by then are abandoned and the process exits non-zero.' }),
  httpServerReadTimeout: duration({ flag: 'server.http-read-timeout', default: '30s', help: 'Time to receive a whole HTTP request, headers and body (Node\'s requestTimeout); 0 means no limit.' }),
  httpServerWriteTimeout: duration({
    flag: 'server.http-write-timeout',
    default: '0s',
    help: 'Time to write a response, from the request\'s arrival; a slower answer is cut off by closing the connection. 0 (Myelin\'s default; Cortex\'s is 30s) leaves queries to -querier.timeout.',
  }),
  httpServerIdleTimeout: duration({ flag: 'server.http-idle-timeout', default: '2m', category: 'advanced', help: 'Idle timeout for HTTP server keep-alive connections.' }),
  grpcServerMaxRecvMsgSize: bytes({ flag: 'server.grpc-max-recv-msg-size-bytes', default: 4 << 20, help: 'Limit on the size of a gRPC message this server can receive (bytes).' }),
  grpcServerMaxSendMsgSize: bytes({ flag: 'server.grpc-max-send-msg-size-bytes', default: 4 << 20, help: 'Limit on the size of a gRPC message this server can send (bytes).' }),
  grpcServerMaxConcurrentStreams: int({ flag: 'server.grpc-max-concurrent-streams', default: 100, min: 0, help: 'Limit on the number of concurrent streams (calls) of one gRPC connection; 0 means no limit.' }),
  httpTlsConfig: tlsConfig('http', 'HTTP'),
  grpcTlsConfig: tlsConfig('grpc', 'gRPC'),
  tlsMinVersion: oneOf<TlsMinVersion>(tlsMinVersions, {
    flag: 'server.tls-min-version',
    default: '',
    help: 'Oldest TLS version the HTTP and gRPC servers accept, Go\'s names (VersionTLS12 ...); empty is Node\'s default (TLS 1.2).',
  }),
  tlsCipherSuites: string({
    flag: 'server.tls-cipher-suites',
    default: '',
    help: 'Comma-separated TLS cipher suites the HTTP and gRPC servers offer, Go\'s names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ...); empty is Node\'s default list.',
  }),
  logLevel: oneOf(['debug', 'info', 'warn', 'error'], { flag: 'log.level', default: 'info', help: 'Only log messages with the given severity or above.' }),
  logFormat: oneOf(['logfmt', 'json'], { flag: 'log.format', default: 'logfmt', help: 'Output log messages in the given format.' }),
});
export type ServerConfig = ConfigOf<typeof serverConfig>;
