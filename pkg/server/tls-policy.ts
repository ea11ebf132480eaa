// Cortex's server-wide `tls_min_version` and `tls_cipher_suites` (Go's names), turned into Node's
// TLS options for both servers. Go names the suites by IANA; OpenSSL, which Node uses, has its own
// names for the TLS 1.2 ones (TLS 1.3's are the same in both).
import type { SecureVersion } from 'node:tls';
import { ConfigError } from '../flagext/index.js';

export const tlsMinVersions = ['', 'VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] as const;
export type TlsMinVersion = (typeof tlsMinVersions)[number];

const nodeVersion: Record<Exclude<TlsMinVersion, ''>, SecureVersion> = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};

// The suites Go's crypto/tls offers (tls.CipherSuites() and the TLS 1.3 ones).
const openSslName: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

/** Options for node:tls servers; empty when both settings are at their default (Node's own). */
export interface TlsPolicy {
  minVersion?: SecureVersion;
  ciphers?: string;
}

/** Throws a ConfigError naming `server.tls_cipher_suites` for a suite Go does not know. */
export function tlsPolicy(minVersion: TlsMinVersion, cipherSuites: string): TlsPolicy {
  const policy: TlsPolicy = {};
  if (minVersion !== '') policy.minVersion = nodeVersion[minVersion];
  const names = cipherSuites.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length > 0) {
    const unknown = names.find((n) => !(n in openSslName));
    if (unknown !== undefined) {
      throw new ConfigError('server.tls_cipher_suites', `unknown cipher suite ${unknown}; Go's names are ${Object.keys(openSslName).join(', ')}`);
    }
    policy.ciphers = names.map((n) => openSslName[n]).join(':');
  }
  return policy;
}
