// Server TLS from Cortex's http_tls_config / grpc_tls_config: the files are read when the server is
// built (before anything listens), and Go's client auth types map onto Node's TLS options.
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import { ConfigError } from '../flagext/index.js';
import type { ClientAuthType } from './config.js';
import type { TlsPolicy } from './tls-policy.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientAuthType: ClientAuthType;
  clientCaFile: string;
}

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  clientAuth: ClientAuthType;
}

/** The TLS material of one server, or undefined when no certificate is configured (plain text). */
export function loadServerTls(cfg: TlsFiles, path: string): ServerTls | undefined {
  if (cfg.certFile === '' && cfg.keyFile === '') {
    if (cfg.clientCaFile !== '' || (cfg.clientAuthType !== '' && cfg.clientAuthType !== 'NoClientCert')) {
      throw new ConfigError(`${path}.cert_file`, 'client certificates need the server to serve TLS: set cert_file and key_file');
    }
    return undefined;
  }
  if (cfg.certFile === '') throw new ConfigError(`${path}.cert_file`, 'required with key_file');
  if (cfg.keyFile === '') throw new ConfigError(`${path}.key_file`, 'required with cert_file');
  const verifies = cfg.clientAuthType === 'VerifyClientCertIfGiven' || cfg.clientAuthType === 'RequireAndVerifyClientCert';
  if (verifies && cfg.clientCaFile === '') throw new ConfigError(`${path}.client_ca_file`, `required with client_auth_type ${cfg.clientAuthType}`);
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${path}.${key}`, `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read(cfg.certFile, 'cert_file'),
    key: read(cfg.keyFile, 'key_file'),
    ca: cfg.clientCaFile === '' ? undefined : read(cfg.clientCaFile, 'client_ca_file'),
    clientAuth: cfg.clientAuthType === '' ? 'NoClientCert' : cfg.clientAuthType,
  };
}

/** Options for node:https (fastify's `https`): certificates are asked for whenever the policy wants one. */
export function httpsOptions(tls: ServerTls, policy: TlsPolicy) {
  return {
    ...policy,
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    requestCert: tls.clientAuth !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
  };
}

/**
 * The two policies Node's options cannot say by themselves, checked once the handshake is done:
 * a certificate is required but not verified, or verified only when given.
 */
export function enforceClientAuth(tls: ServerTls, socket: TLSSocket): void {
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  if (tls.clientAuth === 'RequireAnyClientCert' && !given) socket.destroy();
  if (tls.clientAuth === 'VerifyClientCertIfGiven' && given && !socket.authorized) socket.destroy();
}

/**
 * gRPC server credentials. grpc-js either ignores client certificates or requires verified ones,
 * so only NoClientCert and RequireAndVerifyClientCert are possible there.
 */
export function grpcServerCredentials(tls: ServerTls | undefined, path: string, policy: TlsPolicy): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  if (tls.clientAuth !== 'NoClientCert' && tls.clientAuth !== 'RequireAndVerifyClientCert') {
    throw new ConfigError(`${path}.client_auth_type`, `${tls.clientAuth} is not supported for gRPC: use NoClientCert or RequireAndVerifyClientCert`);
  }
  const requireCert = tls.clientAuth === 'RequireAndVerifyClientCert';
  return new PolicyServerCredentials({ requestCert: requireCert, rejectUnauthorized: requireCert, ...policy }, { ca: tls.ca, cert: tls.cert, key: tls.key });
}

/**
 * What ServerCredentials.createSsl makes, plus the minimum version and cipher suites, which
 * createSsl has no parameter for: grpc-js hands the constructor options to http2.createSecureServer.
 */
class PolicyServerCredentials extends ServerCredentials {
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
