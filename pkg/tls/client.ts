// Client TLS of Myelin's gRPC clients, Cortex's names (`tls_enabled`, `tls_cert_path`, ... under a
// client's section, flags `-<prefix>.tls-*`). Plain config in, credentials out, so a worker thread
// builds its own from the config it was given.
import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { ConfigError, bool, string, type ConfigOf } from '../flagext/index.js';

/** The TLS fields of one gRPC client; spread them into its section. */
export function clientTlsFields(flagPrefix: string) {
  const f = (n: string) => `${flagPrefix}.tls-${n}`;
  return {
    tlsEnabled: bool({ flag: f('enabled'), default: false, help: 'Connect over TLS. Also on when any other TLS option of this client is set.' }),
    tlsCertPath: string({ flag: f('cert-path'), default: '', help: 'Client certificate (PEM) to present; needs the key below.' }),
    tlsKeyPath: string({ flag: f('key-path'), default: '', help: 'Client key (PEM).' }),
    tlsCaPath: string({ flag: f('ca-path'), default: '', help: 'CA certificates (PEM) that the server\'s certificate is verified against; empty uses the system roots.' }),
    tlsServerName: string({ flag: f('server-name'), default: '', category: 'advanced', help: 'Override the name expected in the server\'s certificate.' }),
    tlsInsecureSkipVerify: bool({ flag: f('insecure-skip-verify'), default: false, category: 'advanced', help: 'Do not verify the server\'s certificate.' }),
  };
}

type ClientTls = { [K in keyof ReturnType<typeof clientTlsFields>]: ConfigOf<ReturnType<typeof clientTlsFields>[K]> };

/** Whether the client speaks TLS: asked for, or implied by a TLS file or server name. */
export function clientTlsOn(cfg: ClientTls): boolean {
  return cfg.tlsEnabled || cfg.tlsCertPath !== '' || cfg.tlsKeyPath !== '' || cfg.tlsCaPath !== '' || cfg.tlsServerName !== '';
}

/** Throws a ConfigError naming `<path>.tls_*` for TLS settings that cannot work. */
export function validateClientTls(cfg: ClientTls, path: string): void {
  if ((cfg.tlsCertPath === '') !== (cfg.tlsKeyPath === '')) {
    throw new ConfigError(`${path}.${cfg.tlsCertPath === '' ? 'tls_cert_path' : 'tls_key_path'}`, 'a client certificate needs both tls_cert_path and tls_key_path');
  }
  for (const [key, file] of [['tls_cert_path', cfg.tlsCertPath], ['tls_key_path', cfg.tlsKeyPath], ['tls_ca_path', cfg.tlsCaPath]] as const) {
    if (file === '') continue;
    try {
      readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${path}.${key}`, `cannot read ${file}: ${(err as Error).message}`);
    }
  }
}

/** Channel credentials and the options that go with them (the server name override). */
export function grpcClientCredentials(cfg: ClientTls): { creds: ChannelCredentials; options: ChannelOptions } {
  if (!clientTlsOn(cfg)) return { creds: credentials.createInsecure(), options: {} };
  const file = (p: string) => (p === '' ? null : readFileSync(p));
  const creds = credentials.createSsl(file(cfg.tlsCaPath), file(cfg.tlsKeyPath), file(cfg.tlsCertPath),
    cfg.tlsInsecureSkipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
  return { creds, options: cfg.tlsServerName === '' ? {} : { 'grpc.ssl_target_name_override': cfg.tlsServerName } };
}
