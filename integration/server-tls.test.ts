// Server TLS (Cortex's http_tls_config / grpc_tls_config) and the gRPC clients' TLS options, with
// certificates made by openssl for the test: each client auth type admits and refuses the right
// connections, and unusable settings fail before anything listens, naming their key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigError, defaults } from '../pkg/flagext/index.js';
import { createLogger } from '../pkg/log/index.js';
import { Server, serverConfig } from '../pkg/server/index.js';
import { TenantResolver } from '../pkg/tenant/index.js';
import { makeTestCerts, type TestCerts } from '../pkg/testutil/index.js';
import { grpcHealthCheck } from './e2e/grpc-health.js';

const silent = createLogger({ level: 'error', format: 'json' }, { write: () => true } as unknown as NodeJS.WritableStream);
const dir = mkdtempSync(join(tmpdir(), 'myelin-tls-'));
const certs: TestCerts = makeTestCerts(dir);
test.after(() => rmSync(dir, { recursive: true, force: true }));

type Tls = ReturnType<typeof defaults<typeof serverConfig>>['httpTlsConfig'];

type ServerCfg = ReturnType<typeof defaults<typeof serverConfig>>;

function newServer(http: Partial<Tls>, grpc: Partial<Tls> = {}, extra: Partial<ServerCfg> = {}): Server {
  const base = defaults(serverConfig);
  const cfg = {
    ...base, ...extra, httpListenAddress: '127.0.0.1', httpListenPort: 0, grpcListenAddress: '127.0.0.1', grpcListenPort: 0,
    httpTlsConfig: { ...base.httpTlsConfig, ...http }, grpcTlsConfig: { ...base.grpcTlsConfig, ...grpc },
  };
  const server = new Server(cfg, { logger: silent, registry: new Registry(), tenants: new TenantResolver({ authEnabled: false }) });
  server.http.get('/ping', async () => 'pong');
  return server;
}

async function running(t: { after: (fn: () => Promise<void>) => void }, server: Server): Promise<Server> {
  const svc = server.service();
  svc.startAsync();
  await svc.awaitRunning();
  t.after(async () => {
    svc.stopAsync();
    await svc.awaitTerminated();
  });
  return server;
}

const serverTls = { certFile: certs.serverCrt, keyFile: certs.serverKey };

/** GET /ping over HTTPS; the status code, or the connection error's message. */
function httpsStatus(port: number, withClientCert: boolean): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1', port, path: '/ping', ca: readFileSync(certs.rootCrt),
      ...(withClientCert ? { cert: readFileSync(certs.clientCrt), key: readFileSync(certs.clientKey) } : {}),
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

test('HTTP TLS: every client auth type admits and refuses the right clients', async (t) => {
  const cases = [
    { auth: '', without: 200, with: 200 },
    { auth: 'RequestClientCert', without: 200, with: 200 },
    { auth: 'RequireAnyClientCert', without: 'refused', with: 200 },
    { auth: 'VerifyClientCertIfGiven', without: 200, with: 200 },
    { auth: 'RequireAndVerifyClientCert', without: 'refused', with: 200 },
  ] as const;
  for (const c of cases) {
    const server = await running(t, newServer({ ...serverTls, clientAuthType: c.auth, clientCaFile: certs.rootCrt }));
    const port = server.httpPort();
    for (const [withCert, want] of [[false, c.without], [true, c.with]] as const) {
      const got = await httpsStatus(port, withCert);
      if (want === 'refused') assert.equal(typeof got, 'string', `${c.auth || 'none'}, client cert ${withCert}: refused, got ${got}`);
      else assert.equal(got, want, `${c.auth || 'none'}, client cert ${withCert}`);
    }
    const plain = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.status, (err: Error) => err.message);
    assert.notEqual(plain, 200, 'plain HTTP is not served on a TLS port');
  }
});

test('gRPC TLS: RequireAndVerifyClientCert serves clients with a certificate of the client CA only; the clients\' TLS options reach it', async (t) => {
  const server = newServer({}, { ...serverTls, clientAuthType: 'RequireAndVerifyClientCert', clientCaFile: certs.rootCrt });
  server.setHealthCheck('', () => true);
  await running(t, server);
  const port = server.grpcPort();
  assert.equal(await grpcHealthCheck(port, { tlsCertPath: certs.clientCrt, tlsKeyPath: certs.clientKey, tlsCaPath: certs.rootCrt }), 'SERVING');
  assert.equal(await grpcHealthCheck(port, { tlsCaPath: certs.rootCrt }), 'error', 'no client certificate');
  assert.equal(await grpcHealthCheck(port, {}), 'error', 'plain text');
  assert.equal(await grpcHealthCheck(port, { tlsEnabled: true, tlsCertPath: certs.clientCrt, tlsKeyPath: certs.clientKey }), 'error', 'server certificate not trusted by the system roots');
  assert.equal(await grpcHealthCheck(port, { tlsCertPath: certs.clientCrt, tlsKeyPath: certs.clientKey, tlsInsecureSkipVerify: true }), 'SERVING', 'insecure_skip_verify');
  assert.equal(await grpcHealthCheck(port, { tlsCertPath: certs.clientCrt, tlsKeyPath: certs.clientKey, tlsCaPath: certs.rootCrt, tlsServerName: 'localhost' }), 'SERVING', 'server name override');
});

/** A TLS handshake with `port`: the negotiated version and cipher (OpenSSL's name), or the error. */
function handshake(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(certs.rootCrt), servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'], ...opts }, () => {
      resolve(`${socket.getProtocol()} ${socket.getCipher().name}`);
      socket.destroy();
    });
    socket.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

test('server.tls_min_version and tls_cipher_suites (Go\'s names) apply to the HTTP and the gRPC server', async (t) => {
  const server = await running(t, newServer(serverTls, serverTls, { tlsMinVersion: 'VersionTLS13' }));
  for (const [name, port] of [['HTTP', server.httpPort()], ['gRPC', server.grpcPort()]] as const) {
    assert.match(await handshake(port, { maxVersion: 'TLSv1.2' }), /^error: .*(protocol version|alert)/i, `${name} refuses TLS 1.2`);
    assert.match(await handshake(port, {}), /^TLSv1\.3 /, `${name} speaks TLS 1.3`);
  }

  const suites = await running(t, newServer(serverTls, serverTls, { tlsMinVersion: 'VersionTLS12', tlsCipherSuites: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }));
  for (const [name, port] of [['HTTP', suites.httpPort()], ['gRPC', suites.grpcPort()]] as const) {
    const tls12 = { maxVersion: 'TLSv1.2' } as const;
    assert.equal(await handshake(port, { ...tls12, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' }), 'TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384', `${name}: the configured suite`);
    assert.match(await handshake(port, { ...tls12, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), /^error: /, `${name}: a suite left out is refused`);
  }
});

test('unusable TLS settings fail when the server is built (before it listens), naming the key', () => {
  const cases: { http?: Partial<Tls>; grpc?: Partial<Tls>; path: string; why: RegExp }[] = [
    { http: { certFile: certs.serverCrt }, path: 'server.http_tls_config.key_file', why: /required with cert_file/ },
    { http: { keyFile: certs.serverKey }, path: 'server.http_tls_config.cert_file', why: /required with key_file/ },
    { http: { certFile: join(dir, 'nope.crt'), keyFile: certs.serverKey }, path: 'server.http_tls_config.cert_file', why: /cannot read .*nope\.crt/ },
    { http: { ...serverTls, clientAuthType: 'RequireAndVerifyClientCert' }, path: 'server.http_tls_config.client_ca_file', why: /required with client_auth_type RequireAndVerifyClientCert/ },
    { http: { clientCaFile: certs.rootCrt }, path: 'server.http_tls_config.cert_file', why: /need the server to serve TLS/ },
    { grpc: { ...serverTls, clientAuthType: 'VerifyClientCertIfGiven', clientCaFile: certs.rootCrt }, path: 'server.grpc_tls_config.client_auth_type', why: /not supported for gRPC/ },
  ];
  const cipher = { path: 'server.tls_cipher_suites', why: /unknown cipher suite TLS_RSA_WITH_RC4_128_SHA; Go's names are/ };
  assert.throws(() => newServer({}, {}, { tlsCipherSuites: 'TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_RC4_128_SHA' }), (err: unknown) =>
    err instanceof ConfigError && err.path === cipher.path && cipher.why.test(err.message));
  for (const c of cases) {
    assert.throws(() => newServer(c.http ?? {}, c.grpc ?? {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.path, c.path);
      assert.match(err.message, c.why);
      return true;
    });
  }
});
