// Reads deploy/docker-compose.yml into ContainerViews (see containers.ts).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../../pkg/flagext/index.js';
import { mountedFiles } from './containers.js';
import type { ContainerView, Mount } from './containers.js';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string };
  stop_grace_period?: string;
  hostname?: string;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
}

export interface ComposeFile {
  path: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

export function readCompose(path: string): ComposeFile {
  // Compose files share settings through YAML anchors and `<<` merge keys.
  const doc = parse(readFileSync(path, 'utf8'), { merge: true, uniqueKeys: true }) as Omit<ComposeFile, 'path'>;
  return { path, services: doc.services, volumes: doc.volumes ?? {} };
}

/** The environment of a service, from either the mapping or the `KEY=value` list form. */
function environment(svc: ComposeService): Map<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return new Map(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return new Map(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** The HTTP URL a healthcheck command fetches on the container itself, if any. */
export function healthcheckUrl(svc: ComposeService): { port: number; path: string } | undefined {
  const test = svc.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const m = /http:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[^'"\s)]*)/.exec(text);
  return m === null ? undefined : { port: Number(m[1]), path: m[2] };
}

/**
 * A compose service as a ContainerView. `imageVolumes` are the image's VOLUME paths: Docker gives
 * each one an anonymous volume unless the service mounts something there.
 */
export function composeContainer(file: ComposeFile, name: string, imageVolumes: readonly string[]): ContainerView {
  const svc = file.services[name];
  const where = `compose service ${name}`;
  const mounts: Mount[] = (svc.volumes ?? []).map((spec) => {
    const [source, path, mode = 'rw'] = spec.split(':');
    const bind = source.startsWith('.') || source.startsWith('/');
    if (!bind && !(source in file.volumes)) throw new Error(`${where}: volume ${source} is not declared under volumes:`);
    return { path, kind: bind ? 'bind' : 'named-volume', source: bind ? resolve(dirname(file.path), source) : source, readOnly: mode === 'ro' };
  });
  for (const v of imageVolumes) {
    if (!mounts.some((m) => m.path === v)) mounts.push({ path: v, kind: 'anonymous-volume', source: '', readOnly: false });
  }
  const command = svc.command ?? [];
  if (!Array.isArray(command)) throw new Error(`${where}: write command as a list, so that no shell splits it`);
  const health = healthcheckUrl(svc);
  const grace = svc.stop_grace_period === undefined ? 10_000 : parseDuration(svc.stop_grace_period);
  if (grace === undefined) throw new Error(`${where}: bad stop_grace_period ${svc.stop_grace_period}`);
  return {
    where,
    image: svc.image ?? '',
    args: command,
    env: environment(svc),
    mounts,
    readFile: mountedFiles(where, mounts, new Map()),
    ports: undefined,
    probes: health === undefined ? [] : [health],
    stopGraceMs: grace,
    memoryLimit: undefined,
  };
}
