import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, bool, bytes, duration, int, loadConfig, oneOf, section, string, stringList, toYamlObject, parseDuration, formatDuration } from './index.js';

const spec = section({
  server: section({
    httpListenPort: int({ flag: 'server.http-listen-port', default: 9009, help: 'HTTP port.', min: 0 }),
    logLevel: oneOf(['debug', 'info', 'warn', 'error'], { flag: 'log.level', default: 'info', help: 'Log level.' }),
  }),
  ingester: section({
    lifecycler: section({
      joinAfter: duration({ flag: 'ingester.join-after', default: '0s', help: 'Wait before joining.' }),
      addrs: stringList({ flag: 'ingester.addrs', default: [], help: 'Addresses.' }),
    }),
    maxMsgSize: bytes({ flag: 'ingester.max-msg-size', default: 1024, help: 'Max message.' }),
  }),
  auth: section({ enabled: bool({ flag: 'auth.enabled', default: true, help: 'Require X-Scope-OrgID.' }) }),
  secretKey: string({ flag: 'secret-key', default: '', help: 'A secret.', secret: true }),
});

function load(argv: string[], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const res = loadConfig(spec, argv, {
    env,
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: ${p}`);
      return files[p];
    },
  });
  if (res.kind !== 'config') throw new Error('expected a config');
  return res.config;
}

test('defaults apply when nothing is given', () => {
  const cfg = load([]);
  assert.equal(cfg.server.httpListenPort, 9009);
  assert.equal(cfg.ingester.lifecycler.joinAfter, 0);
  assert.equal(cfg.auth.enabled, true);
});

test('flags override the file, which overrides defaults', () => {
  const files = { 'c.yaml': 'server:\n  http_listen_port: 8080\n  log_level: debug\ningester:\n  max_msg_size: 2MiB\n' };
  const cfg = load(['-config.file=c.yaml', '-server.http-listen-port', '7070', '--auth.enabled=false'], files);
  assert.equal(cfg.server.httpListenPort, 7070);
  assert.equal(cfg.server.logLevel, 'debug');
  assert.equal(cfg.ingester.maxMsgSize, 2 * 1024 * 1024);
  assert.equal(cfg.auth.enabled, false);
  assert.equal(load(['-auth.enabled']).auth.enabled, true);
});

test('-config.expand-env substitutes ${VAR} and ${VAR:default} only when set', () => {
  const files = { 'c.yaml': 'ingester:\n  lifecycler:\n    join_after: ${JOIN:1m}\n    addrs: ${ADDR}\n' };
  const cfg = load(['-config.file=c.yaml', '-config.expand-env'], files, { ADDR: 'a:1' });
  assert.equal(cfg.ingester.lifecycler.joinAfter, 60_000);
  assert.deepEqual(cfg.ingester.lifecycler.addrs, ['a:1']);
  assert.throws(() => load(['-config.file=c.yaml'], files), /ingester\.lifecycler\.join_after: expected a duration/);
});

const errorCases: Record<string, { argv: string[]; yaml?: string; want: RegExp }> = {
  'unknown key': { argv: [], yaml: 'ingester:\n  lifecycler:\n    join_aftr: 1s\n', want: /^ingester\.lifecycler\.join_aftr: unknown key$/ },
  'unknown section': { argv: [], yaml: 'ingestr: {}\n', want: /^ingestr: unknown key$/ },
  'bad type': { argv: [], yaml: 'server:\n  http_listen_port: eighty\n', want: /^server\.http_listen_port: expected an integer, got "eighty"/ },
  'bad duration': { argv: [], yaml: 'ingester:\n  lifecycler:\n    join_after: 5x\n', want: /^ingester\.lifecycler\.join_after: expected a duration like 1m30s, got "5x"/ },
  'section that is not a mapping': { argv: [], yaml: 'server: 3\n', want: /^server: expected a mapping/ },
  'value out of range': { argv: [], yaml: 'server:\n  http_listen_port: -1\n', want: /must be at least 0/ },
  'bad enum': { argv: [], yaml: 'server:\n  log_level: loud\n', want: /^server\.log_level: expected one of debug, info, warn, error/ },
  'duplicate key': { argv: [], yaml: 'server: {}\nserver: {}\n', want: /invalid YAML/ },
  'bad flag value': { argv: ['-ingester.join-after=soon'], want: /^flag -ingester\.join-after: expected a duration/ },
  'unknown flag': { argv: ['-server.http-port=1'], want: /flag provided but not defined: -server\.http-port/ },
  'flag without value': { argv: ['-server.http-listen-port'], want: /flag needs an argument/ },
  'missing file': { argv: ['-config.file=nope.yaml'], want: /^-config\.file=nope\.yaml: cannot read/ },
};
for (const [name, c] of Object.entries(errorCases)) {
  test(`config error: ${name}`, () => {
    const argv = c.yaml === undefined ? c.argv : ['-config.file=c.yaml', ...c.argv];
    assert.throws(() => load(argv, c.yaml === undefined ? {} : { 'c.yaml': c.yaml }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, c.want);
      return true;
    });
  });
}

test('-help lists every flag with its default', () => {
  const res = loadConfig(spec, ['-help'], { env: {}, readFile: () => '' });
  assert.equal(res.kind, 'help');
  const text = res.kind === 'help' ? res.text : '';
  for (const flag of ['-server.http-listen-port int', '-auth.enabled', '-ingester.join-after duration', '-config.file']) {
    assert.ok(text.includes(flag), `missing ${flag}`);
  }
  assert.match(text, /HTTP port\. \(default "9009"\)/);
});

test('YAML output masks secrets and diff mode keeps only changed options', () => {
  const cfg = load(['-secret-key=hunter2', '-server.http-listen-port=1234']);
  const all = toYamlObject(spec, cfg);
  assert.equal((all.secret_key as string), '********');
  assert.deepEqual((all.server as Record<string, unknown>).http_listen_port, 1234);
  assert.deepEqual(toYamlObject(spec, cfg, { diffOnly: true }), { server: { http_listen_port: 1234 }, secret_key: '********' });
});

test('durations parse and print like Go', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('1h 30m'), undefined);
  assert.equal(formatDuration(5_400_000), '1h30m0s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(0), '0s');
});
