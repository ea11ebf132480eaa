import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { EtcdServer, TcpProxy, waitUntil } from '../../testutil/index.js';
import { kvAcceptance, type Doc } from '../acceptance.js';
import type { KVClient } from '../client.js';
import { jsonCodec } from '../codec.js';
import { defaults } from '../../flagext/index.js';
import { etcdConfig } from '../config.js';
import { EtcdClient, etcdClientOptions } from './etcd-client.js';

const logger = pino({ level: 'silent' });

describe('etcd KV', () => {
  let etcd: EtcdServer;
  const clients: KVClient<Doc>[] = [];
  let n = 0;
  const open = (prefix = `t${n++}/`, onWatchRestart?: () => void): EtcdClient<Doc> => {
    const c = new EtcdClient<Doc>({ ...defaults(etcdConfig('')), endpoints: [etcd.endpoint], dialTimeout: 2000 }, jsonCodec(), prefix, {
      logger,
      onWatchRestart,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    etcd = await EtcdServer.start();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await etcd.close();
  });

  kvAcceptance(async () => open());

  it('a read made while etcd is down is answered once etcd is back, within the retry window', async () => {
    const c = open('outage/');
    await c.cas('k', () => ({ n: 7 }));
    await etcd.stop();
    // Settled into a value so a failure is reported after the restart, not as an unhandled rejection.
    const read = c.get('k').then((v) => v, (err: unknown) => err);
    await new Promise((r) => setTimeout(r, 300));
    await etcd.restart();
    assert.deepEqual(await read, { n: 7 });
  });

  it('a watch survives an etcd restart and sees writes made while it was down', async () => {
    let restarts = 0;
    const watching = open('restart/', () => restarts++);
    const writer = open('restart/');
    const seen = new Map<string, number | null>();
    const ac = new AbortController();
    const done = watching.watchPrefix('', ac.signal, (k, v) => {
      seen.set(k, v === null ? null : v.n);
    });
    await writer.cas('a', () => ({ n: 1 }));
    await waitUntil(() => seen.get('a') === 1, { what: 'first write' });

    await etcd.stop();
    await waitUntil(() => restarts > 0, { what: 'watch to notice the outage' });
    await etcd.restart();
    await writer.cas('b', () => ({ n: 2 }));
    await writer.delete('a');
    // Compact the history right away: a watch that resumes after this cannot replay the delete
    // and has to re-list (the compare of `known` with the listing reports the delete).
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      const rev = (await raw.get('restart/b').exec()).header.revision;
      await raw.kv.compact({ revision: rev, physical: true });
    } finally {
      raw.close();
    }
    await waitUntil(() => seen.get('b') === 2 && seen.get('a') === null, { timeoutMs: 15_000, what: 'writes after restart' });
    ac.abort();
    await done;
  });
  it('a watch that cannot resume from a compacted revision re-lists and reports what it missed', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    let restarts = 0;
    const watching = new EtcdClient<Doc>(
      { ...defaults(etcdConfig('')), endpoints: [`127.0.0.1:${proxy.port}`], dialTimeout: 2000 },
      jsonCodec(),
      'compact/',
      { logger, onWatchRestart: () => restarts++ },
    );
    clients.push(watching);
    const writer = open('compact/');
    const seen = new Map<string, number | null>();
    const ac = new AbortController();
    const done = watching.watchPrefix('', ac.signal, (k, v) => {
      seen.set(k, v === null ? null : v.n);
    });
    try {
      await writer.cas('a', () => ({ n: 1 }));
      await writer.cas('c', () => ({ n: 3 }));
      await waitUntil(() => seen.get('a') === 1 && seen.get('c') === 3, { what: 'first writes' });

      await proxy.cut(); // only the watching client loses etcd
      await waitUntil(() => restarts > 0, { what: 'watch to notice' });
      await writer.delete('a');
      await writer.cas('b', () => ({ n: 2 }));
      await writer.cas('c', () => ({ n: 4 }));
      const raw = new Etcd3({ hosts: etcd.endpoint });
      try {
        const rev = (await raw.get('compact/b').exec()).header.revision;
        await raw.kv.compact({ revision: rev, physical: true });
      } finally {
        raw.close();
      }
      const before = restarts;
      await proxy.restore();
      await waitUntil(() => seen.get('a') === null && seen.get('b') === 2 && seen.get('c') === 4, {
        timeoutMs: 15_000,
        what: 'missed changes after re-listing',
      });
      assert.ok(restarts > before, 'the re-list counts as a watch restart');
    } finally {
      ac.abort();
      await done;
      await proxy.close();
    }
  });
});

describe('etcd client options', () => {
  it('maps TLS files, server name and auth onto etcd3 options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'myelin-etcd-tls-'));
    try {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, f), `${f} bytes`);
      const opts = etcdClientOptions({
        ...defaults(etcdConfig('')),
        endpoints: ['etcd-0:2379', 'https://etcd-1:2379'],
        tlsEnabled: true,
        tlsCaPath: join(dir, 'ca.pem'),
        tlsCertPath: join(dir, 'cert.pem'),
        tlsKeyPath: join(dir, 'key.pem'),
        tlsServerName: 'etcd.internal',
        username: 'ring',
        password: 'secret',
      });
      assert.deepEqual(opts.hosts, ['https://etcd-0:2379', 'https://etcd-1:2379']);
      assert.equal(opts.credentials?.rootCertificate.toString(), 'ca.pem bytes');
      assert.equal(opts.credentials?.certChain?.toString(), 'cert.pem bytes');
      assert.equal(opts.credentials?.privateKey?.toString(), 'key.pem bytes');
      assert.deepEqual(opts.grpcOptions, { 'grpc.ssl_target_name_override': 'etcd.internal' });
      assert.deepEqual(opts.auth, { username: 'ring', password: 'secret' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves plain endpoints and no auth alone', () => {
    const opts = etcdClientOptions({ ...defaults(etcdConfig('')), endpoints: ['127.0.0.1:2379'] });
    assert.deepEqual(opts.hosts, ['127.0.0.1:2379']);
    assert.equal(opts.credentials, undefined);
    assert.equal(opts.auth, undefined);
  });
});
