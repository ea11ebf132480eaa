// Keeps deploy/ true to the code. The Dockerfile, deploy/docker-compose.yml and the manifests under
// deploy/kubernetes may only use what Myelin has: one image, real flags, config files that exist
// where the container looks for them, the environment those configs expand, the configs' ports,
// and routes Myelin serves. Every Myelin container's config is loaded with loadConfig from that
// container's arguments, environment and mounted files, so a bad key, value, flag or path fails
// here and not in a cluster. No Docker engine or Kubernetes cluster is needed (deploy/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../pkg/flagext/index.js';
import { createLogger } from '../pkg/log/index.js';
import { Myelin, myelinConfig } from '../pkg/myelin/index.js';
import type { MyelinConfig } from '../pkg/myelin/index.js';
import { parseRuntimeConfig } from '../pkg/runtime-config/index.js';
import { composeContainer, readCompose } from './deploy/compose.js';
import type { ComposeFile } from './deploy/compose.js';
import { mountFor, persistentKinds, writableKinds } from './deploy/containers.js';
import type { ContainerView } from './deploy/containers.js';
import { execForm, last, parseDockerfile } from './deploy/dockerfile.js';
import { configMaps, k8sContainer, portNumber, readManifests, workloadKinds } from './deploy/kubernetes.js';
import type { K8sContainer, K8sObject, Manifest } from './deploy/kubernetes.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');

/** The microservices deployment: replicas per component, in compose and in Kubernetes alike. */
const replicas: Record<string, number> = { distributor: 2, ingester: 3, querier: 2, 'store-gateway': 2, compactor: 1, ruler: 2, 'query-frontend': 1 };

// ---- The image, as deploy/Dockerfile builds it ----

const stages = parseDockerfile(read('deploy/Dockerfile'));
const finalStage = stages[stages.length - 1];
const exposedPorts = finalStage.instructions.filter((i) => i.op === 'EXPOSE')
  .flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.split('/')[0]));
const imageVolumes = finalStage.instructions.filter((i) => i.op === 'VOLUME')
  .flatMap((i) => (i.args.startsWith('[') ? execForm(i) : i.args.split(/\s+/)));
const imageUser = last(finalStage, 'USER')?.args ?? 'root';
const imageWorkdir = last(finalStage, 'WORKDIR')?.args ?? '/';

/**
 * Reads a file of the image itself: the final stage copies the repository's configs/ into
 * <WORKDIR>/configs (checked below), so those paths map back to the repository.
 */
function imageFile(path: string): string {
  const abs = posix.resolve(imageWorkdir, path);
  const configsDir = posix.join(imageWorkdir, 'configs/');
  if (!abs.startsWith(configsDir)) throw new Error(`the image has no ${abs} (only ${configsDir} holds files this test knows)`);
  return read(`configs/${abs.slice(configsDir.length)}`);
}

/** The routes probes and scrapes may use; the live test below proves Myelin answers each with 200. */
const probePaths = new Set(['/ready', '/metrics']);

/** A flag's value in an argument list, the last one winning as in loadConfig; a bare flag is "true". */
function flagValue(args: readonly string[], name: string): string | undefined {
  const m = args.map((a) => /^--?([^=]+)(?:=(.*))?$/s.exec(a)).filter((x) => x !== null && x[1] === name).at(-1);
  return m === undefined || m === null ? undefined : (m[2] ?? 'true');
}

/**
 * Loads the config a container would run with. Every ${VAR} its config file uses must be set by
 * the container itself: the ${VAR:default} defaults suit compose, and a cluster must not silently
 * fall back on them.
 */
function loadIn(c: ContainerView): MyelinConfig {
  let res;
  try {
    res = loadConfig(myelinConfig, c.args, { env: Object.fromEntries(c.env), readFile: c.readFile });
  } catch (err) {
    assert.fail(`${c.where}: ${(err as Error).message}`);
  }
  assert.equal(res.kind, 'config', `${c.where}: the arguments ask for -help`);
  assert.ok(c.args.every((a) => a.startsWith('-')), `${c.where}: write each flag as one -name=value argument`);
  const file = flagValue(c.args, 'config.file');
  assert.ok(file !== undefined, `${c.where}: no -config.file`);
  // Comment lines may mention ${VAR} syntax; expandEnv rewrites them too, harmlessly.
  const text = c.readFile(file).split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  const vars = [...text.matchAll(/\$\{(\w+)(?::[^}]*)?\}/g)].map((m) => m[1]);
  if (vars.length > 0) assert.equal(flagValue(c.args, 'config.expand-env'), 'true', `${c.where}: ${file} uses \${...} but -config.expand-env=true is not set`);
  for (const v of vars) assert.ok(c.env.has(v), `${c.where}: ${file} uses \${${v}}, which the container does not set`);
  const cfg = res.config;
  if (cfg.runtimeConfig.file !== '') {
    try {
      parseRuntimeConfig(c.readFile(cfg.runtimeConfig.file), cfg.limits);
    } catch (err) {
      assert.fail(`${c.where}: runtime config ${cfg.runtimeConfig.file}: ${(err as Error).message}`);
    }
  }
  return cfg;
}

/** The MYELIN_* variables that some config under configs/microservices reads. */
const knownVars = new Set(readdirSync(join(repoRoot, 'configs/microservices'))
  .flatMap((f) => [...read(`configs/microservices/${f}`).matchAll(/\$\{(MYELIN_\w+)/g)].map((m) => m[1])));

/** The hosts a container reaches through its MYELIN_*_ENDPOINT(S) and _ADDRESS variables. */
function addressedHosts(c: ContainerView): string[] {
  return [...c.env].filter(([k, v]) => /^MYELIN_\w+_(ENDPOINTS?|ADDRESS)$/.test(k) && v !== '')
    .map(([, v]) => new URL(v.includes('://') ? v : `tcp://${v}`).hostname);
}

/** Checks shared by compose and Kubernetes; returns the one component the container runs. */
function checkMyelinContainer(c: ContainerView, cfg: MyelinConfig): string {
  assert.equal(cfg.target.length, 1, `${c.where}: one component per container`);
  const component = cfg.target[0];
  assert.ok(component in replicas, `${c.where}: -target ${component} is not one of ${Object.keys(replicas).join(', ')}`);
  for (const name of c.env.keys()) {
    if (name.startsWith('MYELIN_')) assert.ok(knownVars.has(name), `${c.where}: ${name} is read by no config (a typo?)`);
  }
  const { httpListenPort: http, grpcListenPort: grpc } = cfg.server;
  for (const p of [http, grpc]) assert.ok(exposedPorts.includes(p), `${c.where}: port ${p} is not EXPOSEd by deploy/Dockerfile`);
  if (c.ports !== undefined) {
    assert.deepEqual(Object.fromEntries(c.ports), { http, grpc }, `${c.where}: container ports are the config's server ports`);
  }
  assert.ok(c.probes.length > 0, `${c.where}: no HTTP readiness probe or healthcheck`);
  for (const p of c.probes) {
    assert.equal(p.port, http, `${c.where}: probe ${p.path} on the HTTP port`);
    assert.ok(probePaths.has(p.path), `${c.where}: probe path ${p.path} is not one of ${[...probePaths].join(', ')}`);
  }
  const dirs: [string, string, boolean][] = [];
  if (component === 'ingester') {
    dirs.push(['TSDB and WAL', cfg.blocksStorage.tsdb.dir, true]);
    if (cfg.ingester.lifecycler.tokensFilePath !== '') dirs.push(['tokens file', cfg.ingester.lifecycler.tokensFilePath, true]);
    assert.ok(c.stopGraceMs > cfg.server.gracefulShutdownTimeout,
      `${c.where}: the orchestrator kills after ${c.stopGraceMs}ms, before the ${cfg.server.gracefulShutdownTimeout}ms graceful shutdown (transfer or flush) can end`);
  }
  if (component === 'store-gateway') dirs.push(['sync dir', cfg.blocksStorage.bucketStore.syncDir, false]);
  for (const [what, path, persistent] of dirs) {
    assert.ok(path.startsWith('/'), `${c.where}: ${what} ${path} should be absolute (the image's WORKDIR is read-only)`);
    const m = mountFor(c.mounts, path);
    assert.ok(m !== undefined && writableKinds.has(m.kind) && !m.readOnly, `${c.where}: ${what} ${path} is on no writable volume`);
    if (persistent) assert.ok(persistentKinds.has(m.kind), `${c.where}: ${what} ${path} must outlive the container (named volume or claim), not ${m.kind}`);
  }
  const heap = /--max-old-space-size=(\d+)/.exec(c.env.get('NODE_OPTIONS') ?? '');
  if (heap !== null && c.memoryLimit !== undefined) {
    assert.ok(Number(heap[1]) * 2 ** 20 < c.memoryLimit, `${c.where}: V8 heap ${heap[1]}MiB does not fit the memory limit`);
  }
  return component;
}

// ---- docker-compose ----

const compose: ComposeFile = readCompose(join(repoRoot, 'deploy/docker-compose.yml'));

/** The services built from deploy/Dockerfile, and the one image name they share. */
function composeImage(): string {
  const built = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
  assert.ok(built.length > 0, 'no compose service builds deploy/Dockerfile');
  for (const [name, s] of built) {
    assert.equal(resolve(repoRoot, 'deploy', s.build?.context ?? ''), resolve(repoRoot), `${name}: build context is the repository root`);
    assert.equal(s.build?.dockerfile, 'deploy/Dockerfile', `${name}: builds deploy/Dockerfile`);
  }
  const images = new Set(built.map(([, s]) => s.image));
  assert.equal(images.size, 1, `one image name for every Myelin service, got ${[...images].join(', ')}`);
  const [image] = images;
  assert.ok(image !== undefined && image !== '', 'the built image has a name (image:)');
  return image;
}

/** Whether compose service `from` waits for `to`, directly or through another service. */
function dependsOn(from: string, to: string): boolean {
  const deps = compose.services[from]?.depends_on ?? [];
  return (Array.isArray(deps) ? deps : Object.keys(deps)).some((d) => d === to || dependsOn(d, to));
}

function composeMyelinServices(image: string): string[] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build !== undefined || s.image === image || (Array.isArray(s.command) && s.command.some((a) => a.startsWith('-config.file'))))
    .map(([name]) => name);
}

test('deploy/Dockerfile: multi-stage, production dependencies only, non-root, exposes the ports and runs the binary', () => {
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const names = stages.map((s) => s.name);
  for (const [i, s] of stages.entries()) {
    for (const ins of s.instructions.filter((x) => x.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (from !== undefined) assert.ok(names.slice(0, i).includes(from), `stage ${s.name}: COPY --from=${from} names no earlier stage`);
    }
  }
  const build = stages.find((s) => s.instructions.some((i) => i.op === 'RUN' && /\btsc -b\b/.test(i.args)));
  assert.ok(build !== undefined && build !== finalStage, 'an earlier stage compiles with tsc -b');
  assert.ok(build.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)), 'the build stage installs with npm ci');
  const copies = finalStage.instructions.filter((i) => i.op === 'COPY');
  const modulesFrom = copies.map((i) => /--from=(\S+)\s+\S*node_modules/.exec(i.args)?.[1]).find((x) => x !== undefined);
  assert.ok(modulesFrom !== undefined, 'the final stage copies node_modules from another stage');
  const depsStage = stages.find((s) => s.name === modulesFrom);
  assert.ok(depsStage?.instructions.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)), `stage ${modulesFrom} installs production dependencies only`);
  assert.ok(copies.some((i) => /^configs\s+\.\/configs\/?$/.test(i.args)), 'the final stage copies configs/ into its WORKDIR');
  // The web UI's bundle is built with the dev dependencies and served from dist/web.
  assert.ok(build.instructions.some((i) => i.op === 'RUN' && /\bnode scripts\/build-ui\.mjs\b/.test(i.args)), 'the build stage bundles the web UI');
  assert.ok(copies.some((i) => new RegExp(`^--from=${build.name}\\s+\\S*/dist/web\\s+\\./dist/web/?$`).test(i.args)), 'the final stage copies dist/web');

  const uid = imageUser.split(':')[0];
  assert.match(uid, /^\d+$/, 'USER is numeric, so that runAsNonRoot can verify it');
  assert.notEqual(Number(uid), 0, 'the final stage runs as a non-root USER');
  assert.ok(finalStage.instructions.some((i) => i.op === 'RUN' && new RegExp(`chown ${uid}(:\\d+)? /data`).test(i.args)), '/data belongs to the USER');
  assert.ok(imageVolumes.includes('/data'), 'VOLUME /data');
  for (const f of readdirSync(join(repoRoot, 'configs/microservices'))) {
    const res = loadConfig(myelinConfig, [`-config.file=configs/microservices/${f}`, '-config.expand-env=true'], { env: {}, readFile: imageFile });
    assert.equal(res.kind, 'config');
    if (res.kind !== 'config') continue;
    for (const p of [res.config.server.httpListenPort, res.config.server.grpcListenPort]) assert.ok(exposedPorts.includes(p), `${f}: port ${p} is EXPOSEd`);
  }

  const entrypoint = last(finalStage, 'ENTRYPOINT');
  assert.ok(entrypoint !== undefined, 'ENTRYPOINT');
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.myelin;
  assert.ok(execForm(entrypoint).includes(bin), `ENTRYPOINT runs package.json's bin ${bin}`);
  const cmd = last(finalStage, 'CMD');
  assert.ok(cmd !== undefined, 'a default CMD');
  const res = loadConfig(myelinConfig, execForm(cmd), { env: {}, readFile: imageFile });
  assert.equal(res.kind, 'config');
  if (res.kind !== 'config') return;
  assert.ok(exposedPorts.includes(res.config.server.httpListenPort), 'the default command listens on an EXPOSEd port');
  // Every directory the default command writes: the image's user can write only below /data.
  const c = res.config;
  for (const dir of [c.blocksStorage.tsdb.dir, c.blocksStorage.filesystem.dir, c.blocksStorage.bucketStore.syncDir, c.compactor.dataDir]) {
    assert.ok(imageVolumes.some((v) => dir.startsWith(`${v}/`)), `the default command keeps ${dir} under a VOLUME`);
  }
});

test("the image's default command runs Myelin, which answers 200 on every probed and scraped path", async (t) => {
  const cmd = last(finalStage, 'CMD');
  assert.ok(cmd !== undefined);
  const dir = mkdtempSync(join(tmpdir(), 'myelin-deploy-'));
  // The image's command, with local ports and directories instead of the container's.
  const args = [...execForm(cmd), '-server.http-listen-address=127.0.0.1', '-server.http-listen-port=0',
    '-server.grpc-listen-address=127.0.0.1', '-server.grpc-listen-port=0',
    `-blocks-storage.filesystem.dir=${dir}/blocks`, `-blocks-storage.tsdb.dir=${dir}/tsdb`,
    `-blocks-storage.bucket-store.sync-dir=${dir}/tsdb-sync`, `-compactor.data-dir=${dir}/compactor`];
  const res = loadConfig(myelinConfig, args, { env: {}, readFile: imageFile });
  assert.equal(res.kind, 'config');
  if (res.kind !== 'config') return;
  const cfg = res.config;
  // Myelin reads the runtime config itself, relative to its working directory: give it the path
  // the image's WORKDIR would resolve to.
  cfg.runtimeConfig.file = join(repoRoot, posix.relative(imageWorkdir, posix.resolve(imageWorkdir, cfg.runtimeConfig.file)));
  const myelin = new Myelin(cfg, createLogger({ level: 'error', format: 'json' }));
  t.after(async () => {
    await myelin.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await myelin.start();
  const base = `http://127.0.0.1:${myelin.server.httpPort()}`;
  for (const path of probePaths) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 200, `GET ${path}: ${await r.text()}`);
  }
});

test('docker-compose: every Myelin service runs the built image with a config that loads from its mounts and environment', () => {
  const image = composeImage();
  const counts: Record<string, number> = {};
  for (const name of composeMyelinServices(image)) {
    const svc = compose.services[name];
    assert.equal(svc.image, image, `${name}: runs ${image}`);
    assert.ok(svc.build !== undefined, `${name}: builds the image, so that \`up --build\` has it`);
    assert.equal(svc.entrypoint, undefined, `${name}: keeps the image's ENTRYPOINT`);
    assert.equal(svc.hostname, name, `${name}: a stable hostname (the ring ID defaults to it)`);
    const c = composeContainer(compose, name, imageVolumes);
    const component = checkMyelinContainer(c, loadIn(c));
    counts[component] = (counts[component] ?? 0) + 1;
    for (const host of addressedHosts(c)) {
      assert.ok(host in compose.services, `${c.where}: ${host} is no compose service`);
      assert.ok(dependsOn(name, host), `${c.where}: starts before ${host}, which it needs`);
    }
  }
  assert.deepEqual(counts, replicas);
});

test('docker-compose: the gateway sends writes to the distributors and queries to the query-frontend; Prometheus scrapes Myelin and writes through the gateway', () => {
  const image = composeImage();
  const byComponent = new Map<string, string[]>();
  const httpPort = new Map<string, number>();
  let apiPrefix = '';
  let compactorApiPrefix = '';
  for (const name of composeMyelinServices(image)) {
    const cfg = loadIn(composeContainer(compose, name, imageVolumes));
    byComponent.set(cfg.target[0], [...(byComponent.get(cfg.target[0]) ?? []), name]);
    httpPort.set(name, cfg.server.httpListenPort);
    if (cfg.target[0] === 'query-frontend') apiPrefix = cfg.api.prometheusHttpPrefix;
    if (cfg.target[0] === 'compactor') compactorApiPrefix = cfg.api.prometheusHttpPrefix;
  }
  const addrs = (component: string) => (byComponent.get(component) ?? []).map((n) => `${n}:${httpPort.get(n)}`).sort();

  const gateway = Object.entries(compose.services).find(([, s]) => s.image?.startsWith('nginx:'));
  assert.ok(gateway !== undefined, 'an nginx gateway service');
  const [gatewayName, gatewaySvc] = gateway;
  assert.ok(gatewaySvc.volumes?.includes('./nginx.conf:/etc/nginx/nginx.conf:ro'), 'the gateway runs deploy/nginx.conf');
  const nginx = read('deploy/nginx.conf');
  const upstreams = new Map([...nginx.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)]
    .map((m) => [m[1], [...m[2].matchAll(/^\s*server\s+(\S+);/gm)].map((s) => s[1]).sort()]));
  const routes = new Map([...nginx.matchAll(/location\s+(?:=\s*)?(\S+)\s*\{([^}]*)\}/g)]
    .map((m) => [m[1], /proxy_pass\s+http:\/\/([^/;\s]+)/.exec(m[2])?.[1]]));
  const listen = Number(/listen\s+(\d+);/.exec(nginx)?.[1]);
  assert.deepEqual(upstreams.get(routes.get('/api/v1/push') ?? ''), addrs('distributor'), '/api/v1/push goes to every distributor');
  assert.deepEqual(upstreams.get(routes.get(`${apiPrefix}/`) ?? ''), addrs('query-frontend'), `${apiPrefix}/ goes to every query-frontend`);
  for (const path of ['/api/v1/rules', `${apiPrefix}/rules`, `${apiPrefix}/config/v1/rules`, '/api/prom/rules', `${apiPrefix}/api/v1/rules`, `${apiPrefix}/api/v1/alerts`]) {
    assert.deepEqual(upstreams.get(routes.get(path) ?? ''), addrs('ruler'), `${path} goes to every ruler`);
  }
  // Block uploads, series deletion (under the compactor's Prometheus prefix) and tenant deletion
  // are served by the compactor alone.
  for (const path of ['/api/v1/upload/block/', `${compactorApiPrefix}/api/v1/admin/tsdb/`, '/purger/']) {
    assert.deepEqual(upstreams.get(routes.get(path) ?? ''), addrs('compactor'), `${path} goes to the compactor`);
  }
  assert.match(/location\s+\/api\/v1\/upload\/block\/\s*\{([^}]*)\}/.exec(nginx)?.[1] ?? '', /client_max_body_size\s+0;/,
    'block files are not cut by the gateway\'s body size limit');
  for (const server of [...upstreams.values()].flat()) {
    const host = server.split(':')[0];
    assert.ok(dependsOn(gatewayName, host), `the gateway starts after ${host}: nginx resolves upstream names when it starts`);
  }
  assert.ok(gatewaySvc.ports?.some((p) => p.endsWith(`:${listen}`)), `the gateway publishes its listen port ${listen}`);

  const promSvc = Object.values(compose.services).find((s) => s.image?.startsWith('prom/prometheus:'));
  assert.ok(promSvc?.volumes?.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'), 'Prometheus runs deploy/prometheus.yml');
  const prom = parse(read('deploy/prometheus.yml')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    remote_write: { url: string; headers?: Record<string, string> }[];
  };
  const scraped = prom.scrape_configs.filter((j) => j.job_name.startsWith('myelin/'));
  for (const j of scraped) assert.ok(probePaths.has(j.metrics_path ?? '/metrics'), `${j.job_name}: scrapes a real route`);
  assert.deepEqual(scraped.flatMap((j) => j.static_configs.flatMap((s) => s.targets)).sort(),
    [...byComponent.keys()].flatMap(addrs).sort(), 'Prometheus scrapes every Myelin service on its HTTP port');
  assert.deepEqual(prom.remote_write.map((w) => w.url), [`http://${gatewayName}:${listen}/api/v1/push`]);
  assert.ok((prom.remote_write[0].headers?.['X-Scope-OrgID'] ?? '') !== '', 'remote write names a tenant');
  // promtool comes with the test dependencies (scripts/install-test-deps.sh).
  execFileSync('promtool', ['check', 'config', join(repoRoot, 'deploy/prometheus.yml')], { stdio: 'pipe' });
});

// ---- Kubernetes ----

const k8sDir = join(repoRoot, 'deploy/kubernetes');
const manifests: Manifest[] = readManifests(k8sDir);
const cms = configMaps(manifests);
const objects = (kind: string) => manifests.filter((m) => m.obj.kind === kind).map((m) => m.obj);
const podLabels = (w: K8sObject) => w.spec?.template?.metadata.labels ?? {};
/** Whether container `c` declares `port` (a number, or the name of one of its ports). */
function declaresPort(c: K8sContainer, port: number | string): boolean {
  if (typeof port === 'string' && !(c.ports ?? []).some((p) => p.name === port)) return false;
  const n = portNumber(c, port);
  return (c.ports ?? []).some((p) => p.containerPort === n);
}
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

test('kubernetes: kustomization applies every manifest; myelin-config copies configs/microservices byte for byte; all in one namespace', () => {
  const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  assert.deepEqual([...kustomization.resources].sort(), [...new Set(manifests.map((m) => m.file))].sort());
  const data = cms.get('myelin-config');
  assert.ok(data !== undefined, 'ConfigMap myelin-config');
  const files = readdirSync(join(repoRoot, 'configs/microservices')).sort();
  assert.deepEqual(Object.keys(data).sort(), files);
  for (const f of files) {
    assert.ok(data[f] === read(`configs/microservices/${f}`), `deploy/kubernetes/config-map.yaml: ${f} differs from configs/microservices/${f}; run deploy/kubernetes/update-config-map.sh`);
  }
  const namespaces = objects('Namespace');
  assert.equal(namespaces.length, 1);
  for (const { file, obj } of manifests) {
    if (obj.kind !== 'Namespace') assert.equal(obj.metadata.namespace, namespaces[0].metadata.name, `${file}: ${obj.kind}/${obj.metadata.name}`);
  }
});

test('kubernetes: every Myelin workload runs the compose image with a config that loads, on its ports, with resources and GCS credentials', () => {
  const image = composeImage();
  const repo = image.slice(0, image.lastIndexOf(':'));
  const uid = Number(imageUser.split(':')[0]);
  const counts: Record<string, number> = {};
  const secrets = new Set<string>();
  for (const w of manifests.map((m) => m.obj).filter((o) => workloadKinds.has(o.kind))) {
    const pod = w.spec?.template?.spec;
    assert.ok(pod !== undefined);
    for (const c of pod.containers) {
      const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
      for (const r of ['cpu', 'memory']) {
        assert.ok(c.resources?.requests?.[r] !== undefined && c.resources.limits?.[r] !== undefined, `${where}: ${r} request and limit`);
      }
      if (c.image.slice(0, c.image.lastIndexOf(':')) !== repo) continue;
      assert.equal(c.image, image, `${where}: the image compose builds`);
      assert.equal(c.command, undefined, `${where}: keeps the image's ENTRYPOINT`);
      const view = k8sContainer(w, c, cms);
      const cfg = loadIn(view);
      const component = checkMyelinContainer(view, cfg);
      counts[component] = (counts[component] ?? 0) + (w.spec?.replicas ?? 1);
      for (const host of addressedHosts(view)) {
        assert.ok(objects('Service').some((s) => s.metadata.name === host.split('.')[0]), `${where}: ${host} is no Service in the manifests`);
      }
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.equal(pod.securityContext?.runAsUser, uid, `${where}: runs as the image's USER`);
      for (const m of view.mounts) if (m.kind === 'secret') secrets.add(m.source);
      const credentials = view.env.get('GOOGLE_APPLICATION_CREDENTIALS');
      if (cfg.target[0] !== 'distributor' && cfg.target[0] !== 'query-frontend') {
        assert.equal(cfg.blocksStorage.backend, 'gcs');
        if (cfg.blocksStorage.gcs.endpoint === '') assert.ok(credentials !== undefined, `${where}: real GCS needs GOOGLE_APPLICATION_CREDENTIALS`);
      }
      if (credentials !== undefined) assert.equal(mountFor(view.mounts, credentials)?.kind, 'secret', `${where}: ${credentials} comes from a Secret`);
      if (component === 'ingester') {
        assert.equal(w.kind, 'StatefulSet', `${where}: ingesters keep their identity and volume`);
        assert.ok(w.spec?.podManagementPolicy !== undefined && w.spec.updateStrategy !== undefined, `${where}: pod management and update strategy chosen, not defaulted`);
      }
      if (component === 'compactor') {
        assert.equal(w.spec?.replicas, 1, `${where}: exactly one compactor`);
        assert.equal(w.spec?.strategy?.type, 'Recreate', `${where}: never two compactors during an update`);
      }
    }
  }
  assert.deepEqual(counts, replicas);
  // Secrets hold credentials and are created by the operator, not by these manifests: the README says how.
  const readme = read('deploy/README.md');
  for (const s of secrets) {
    assert.equal(objects('Secret').length, 0, 'no Secret with placeholder credentials in the manifests');
    assert.ok(readme.includes(`create secret generic ${s}`), `deploy/README.md: how to create Secret ${s}`);
  }
});

test('kubernetes: every workload has a Service that selects only its pods and targets their ports', () => {
  const workloads = manifests.map((m) => m.obj).filter((o) => workloadKinds.has(o.kind));
  const services = objects('Service');
  for (const svc of services) {
    const selected = workloads.filter((w) => selects(svc.spec?.selector ?? {}, podLabels(w)));
    assert.equal(selected.length, 1, `Service ${svc.metadata.name} selects ${selected.length} workloads`);
    const pod = selected[0].spec?.template?.spec;
    assert.ok(pod !== undefined);
    for (const p of svc.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      assert.ok(pod.containers.some((c) => declaresPort(c, target)),
        `Service ${svc.metadata.name} port ${p.name ?? p.port}: target ${target} is no container port of ${selected[0].metadata.name}`);
    }
  }
  for (const w of workloads) {
    assert.ok(services.some((s) => selects(s.spec?.selector ?? {}, podLabels(w))), `${w.kind}/${w.metadata.name} has a Service`);
    assert.ok(selects(w.spec?.selector?.matchLabels ?? {}, podLabels(w)), `${w.kind}/${w.metadata.name}: selector matches its pod labels`);
    if (w.kind === 'StatefulSet') {
      const governing = services.find((s) => s.metadata.name === w.spec?.serviceName);
      assert.ok(governing !== undefined, `StatefulSet/${w.metadata.name}: serviceName names a Service`);
    }
  }
  const ingesters = workloads.filter((w) => w.metadata.name === 'ingester');
  assert.equal(ingesters.length, 1);
  assert.equal(services.find((s) => s.metadata.name === ingesters[0].spec?.serviceName)?.spec?.clusterIP, 'None', 'the ingesters\' Service is headless');
});
