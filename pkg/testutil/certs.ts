// Test certificates (for pkg/ and integration/ tests) made with the machine's openssl: a root CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, both signed by the root. File names follow
// Cortex's TLS example (root.crt, server.crt/.key, client.crt/.key).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  rootCrt: string;
  serverCrt: string;
  serverKey: string;
  clientCrt: string;
  clientKey: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** Writes the certificates into `dir` (an existing directory) and returns their paths. */
export function makeTestCerts(dir: string): TestCerts {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '1', '-subj', '/CN=myelin test root'], dir);
  const leaf = (name: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=myelin test ${name}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return { dir, rootCrt: p('root.crt'), serverCrt: p('server.crt'), serverKey: p('server.key'), clientCrt: p('client.crt'), clientKey: p('client.key') };
}
