import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, bool, bytes, duration, int, loadConfig, oneOf, refusedSection, section, string, stringList, toYamlObject, parseDuration, formatDuration, unsupported } from './index.js';
import type { Aliases } from './index.js';

const spec = section({
  server: section({
    httpListenPort: int({ flag: 'server.http-listen-port', default: 9009, help: 'HTTP port.', min: 0, max: 65535 }),
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
  shardByAll: bool({ flag: 'shard-by-all', default: true, category: 'advanced', help: 'Always on.', notice: (v) => (v ? undefined : 'ignored: always on') }),
  ruler: unsupported({ help: 'Not here yet.', notice: 'ignored: no ruler yet' }),
  memberlist: refusedSection({ help: 'Refused.', reason: 'memberlist is not supported: use etcd' }),
});

const aliases: Aliases = {
  yaml: { 'ingester.lifecycler.old_join_after': 'ingester.lifecycler.join_after', 'old.port': 'server.http_listen_port' },
  flags: { 'ingester.old-join-after': 'ingester.join-after' },
};

function loadResult(argv: string[], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const res = loadConfig(spec, argv, {
    env,
    aliases,
    readFile: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: ${p}`);
      return files[p];
    },
  });
  if (res.kind !== 'config') throw new Error('expected a config');
  return res;
}

const load = (argv: string[], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) => loadResult(argv, files, env).config;

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
  'unknown key': { argv: [], yaml: 'ingester:\n  lifecycler:\n    join_aftr: 1s\n', want: /^ingester\.lifecycler\.join_aftr: unknown key; did you mean "join_after"\?$/ },
  'unknown section': { argv: [], yaml: 'ingestr: {}\n', want: /^ingestr: unknown key; did you mean "ingester"\?$/ },
  'unknown key, nothing close': { argv: [], yaml: 'server:\n  colour: blue\n', want: /^server\.colour: unknown key$/ },
  'unknown flag, with a suggestion': { argv: ['-server.http-listen-prot=1'], want: /flag provided but not defined: -server\.http-listen-prot; did you mean -server\.http-listen-port\?/ },
  'bad type': { argv: [], yaml: 'server:\n  http_listen_port: eighty\n', want: /^server\.http_listen_port: expected an integer, got "eighty"/ },
  'bad duration': { argv: [], yaml: 'ingester:\n  lifecycler:\n    join_after: 5x\n', want: /^ingester\.lifecycler\.join_after: expected a duration like 1m30s, got "5x"/ },
  'section that is not a mapping': { argv: [], yaml: 'server: 3\n', want: /^server: expected a mapping/ },
  'value out of range': { argv: [], yaml: 'server:\n  http_listen_port: -1\n', want: /must be at least 0/ },
  'value above the maximum': { argv: ['-server.http-listen-port=65536'], want: /^flag -server\.http-listen-port: must be at most 65535, got 65536/ },
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

test('-help lists the basic flags by section, -help-all every flag', () => {
  const help = (flag: string) => {
    const res = loadConfig(spec, [flag], { env: {}, readFile: () => '' });
    assert.equal(res.kind, 'help');
    return res.kind === 'help' ? res.text : '';
  };
  const basic = help('-help');
  for (const flag of ['-server.http-listen-port int', '-auth.enabled', '-ingester.join-after duration', '-config.file', '-help-all']) {
    assert.ok(basic.includes(flag), `missing ${flag}`);
  }
  assert.match(basic, /HTTP port\. \(default "9009"\)/);
  assert.match(basic, /\nserver:\n {2}-log\.level/);
  assert.ok(basic.indexOf('\ningester:\n') < basic.indexOf('\nserver:\n'), 'sections in order');
  assert.ok(!basic.includes('-shard-by-all'), 'advanced flags only in -help-all');
  assert.match(basic, /-help-all lists every option/);
  assert.match(help('-help-all'), /-shard-by-all\n\s+Always on\. \[advanced\]/);

  // With a list of basic flags, -help shows those only; the rest are advanced in -help-all.
  const listed = loadConfig(spec, ['-help-all'], { env: {}, readFile: () => '', basicFlags: new Set(['auth.enabled']) });
  assert.equal(listed.kind, 'help');
  const all = listed.kind === 'help' ? listed.text : '';
  assert.match(all, /-auth\.enabled\n\s+Require X-Scope-OrgID\. \(default "true"\)\n/, 'a listed flag stays basic');
  assert.match(all, /-server\.http-listen-port int\n\s+HTTP port\. \[advanced\]/, 'an unlisted flag is advanced');
  const short = loadConfig(spec, ['-help'], { env: {}, readFile: () => '', basicFlags: new Set(['auth.enabled']) });
  assert.ok(short.kind === 'help' && short.text.includes('-auth.enabled') && !short.text.includes('-server.http-listen-port'));
});

test('former names: YAML paths and flags are moved to the current ones; both at once is an error', () => {
  const files = { 'c.yaml': 'ingester:\n  lifecycler:\n    old_join_after: 5s\nold:\n  port: 1234\n' };
  const cfg = load(['-config.file=c.yaml'], files);
  assert.equal(cfg.ingester.lifecycler.joinAfter, 5000);
  assert.equal(cfg.server.httpListenPort, 1234, 'the emptied former section is gone too');
  assert.equal(load(['-ingester.old-join-after=7s']).ingester.lifecycler.joinAfter, 7000);
  const both = { 'c.yaml': 'ingester:\n  lifecycler:\n    old_join_after: 5s\n    join_after: 6s\n' };
  assert.throws(() => load(['-config.file=c.yaml'], both), /^ConfigError: ingester\.lifecycler\.old_join_after: is a former name of ingester\.lifecycler\.join_after; set only one of them$/);
});

test('accepted options without effect give one warning each; refused sections fail', () => {
  const files = { 'c.yaml': 'shard_by_all: false\nruler:\n  enable_api: true\n  ring: {kvstore: {store: memberlist}}\n' };
  const res = loadResult(['-config.file=c.yaml'], files);
  assert.deepEqual(res.warnings, ['shard_by_all: ignored: always on', 'ruler: ignored: no ruler yet']);
  assert.deepEqual(loadResult([]).warnings, []);
  assert.deepEqual(loadResult(['-shard-by-all=false']).warnings, ['-shard-by-all: ignored: always on']);
  assert.throws(() => load(['-config.file=c.yaml'], { 'c.yaml': 'memberlist:\n  bind_port: 7946\n' }), /^ConfigError: memberlist: memberlist is not supported: use etcd$/);
});

test('YAML anchors and merge keys work (Cortex\'s examples use them)', () => {
  const files = { 'c.yaml': 'ingester:\n  lifecycler: &lc\n    join_after: 3s\nauth:\n  <<: {enabled: false}\n' };
  const cfg = load(['-config.file=c.yaml'], files);
  assert.equal(cfg.ingester.lifecycler.joinAfter, 3000);
  assert.equal(cfg.auth.enabled, false);
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
