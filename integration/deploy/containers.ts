// One view of a Myelin container, whether docker-compose or Kubernetes describes it: its image,
// arguments, environment, the files it sees through its mounts, its ports and probes. The checks in
// deploy-manifests.test.ts run on these views, so both deployments are held to the same rules.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Mount {
  /** Absolute path inside the container. */
  path: string;
  /** What backs it: a host directory or file (compose bind mount), or a named store. */
  kind: 'bind' | 'named-volume' | 'anonymous-volume' | 'config-map' | 'secret' | 'pvc' | 'empty-dir';
  /** The name of the volume, ConfigMap, Secret or claim; the host path of a bind mount. */
  source: string;
  readOnly: boolean;
}

export interface ContainerView {
  /** Where it is declared, for messages: "compose service ingester-1", "Deployment/querier". */
  where: string;
  image: string;
  args: string[];
  env: Map<string, string>;
  mounts: Mount[];
  /** Reads a file as the container would see it; throws when no mount provides it. */
  readFile: (path: string) => string;
  /** Declared ports by name (Kubernetes) or undefined when the format has none (compose). */
  ports: Map<string, number> | undefined;
  /** HTTP probes: readiness in Kubernetes, the healthcheck URL in compose. */
  probes: { path: string; port: number }[];
  /** How long the orchestrator waits after SIGTERM before it kills the process, in ms. */
  stopGraceMs: number;
  /** Memory limit in bytes, when one is set. */
  memoryLimit: number | undefined;
}

/** Mounts whose data outlives the container: compose named volumes, Kubernetes claims. */
export const persistentKinds: ReadonlySet<Mount['kind']> = new Set(['named-volume', 'pvc']);
/** Mounts the process may write to. */
export const writableKinds: ReadonlySet<Mount['kind']> = new Set(['named-volume', 'anonymous-volume', 'pvc', 'empty-dir']);

/** The mount that holds `path` (the longest matching mount path), or undefined. */
export function mountFor(mounts: readonly Mount[], path: string): Mount | undefined {
  return mounts
    .filter((m) => path === m.path || path.startsWith(m.path.endsWith('/') ? m.path : `${m.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

export class FileNotMounted extends Error {}

/** A file reader over mounts: bind mounts read the host, ConfigMaps their data, anything else throws. */
export function mountedFiles(where: string, mounts: readonly Mount[], configMaps: ReadonlyMap<string, Record<string, string>>): (path: string) => string {
  return (path) => {
    const m = mountFor(mounts, path);
    if (m === undefined) throw new FileNotMounted(`${where}: no mount provides ${path}`);
    const rel = path.slice(m.path.length).replace(/^\//, '');
    if (m.kind === 'bind') return readFileSync(rel === '' ? m.source : resolve(m.source, rel), 'utf8');
    if (m.kind === 'config-map') {
      const data = configMaps.get(m.source);
      if (data === undefined) throw new FileNotMounted(`${where}: ConfigMap ${m.source} is not in the manifests`);
      if (!(rel in data)) throw new FileNotMounted(`${where}: ConfigMap ${m.source} has no key ${rel} (for ${path})`);
      return data[rel];
    }
    throw new FileNotMounted(`${where}: ${path} is on a ${m.kind} mount, which this test cannot read`);
  };
}

const memoryUnits: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes memory quantity (`512Mi`, `1G`, `1048576`) in bytes. */
export function memoryBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (m === null) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * memoryUnits[m[2] ?? ''];
}
