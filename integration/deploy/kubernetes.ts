// Reads the manifests under deploy/kubernetes into objects and their containers into
// ContainerViews (see containers.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { memoryBytes, mountedFiles } from './containers.js';
import type { ContainerView, Mount } from './containers.js';

export interface K8sContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}

export interface K8sVolume {
  name: string;
  configMap?: { name: string; items?: unknown };
  secret?: { secretName: string; items?: unknown };
  emptyDir?: unknown;
  persistentVolumeClaim?: { claimName: string };
}

export interface PodSpec {
  containers: K8sContainer[];
  volumes?: K8sVolume[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type: string };
    strategy?: { type: string };
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
    clusterIP?: string;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
  };
}

export interface Manifest {
  file: string;
  obj: K8sObject;
}

/** Every object of every *.yaml under `dir` except the kustomization, in file order. */
export function readManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj !== null) out.push({ file, obj });
    }
  }
  return out;
}

export const workloadKinds: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet']);

/** ConfigMap data by name. */
export function configMaps(manifests: readonly Manifest[]): Map<string, Record<string, string>> {
  return new Map(manifests.filter((m) => m.obj.kind === 'ConfigMap').map((m) => [m.obj.metadata.name, m.obj.data ?? {}]));
}

/** Resolves a probe or Service port (a number or a container port's name) to a number. */
export function portNumber(c: K8sContainer, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = (c.ports ?? []).find((x) => x.name === port);
  if (p === undefined) throw new Error(`container ${c.name} has no port named ${port}`);
  return p.containerPort;
}

/** The container `c` of workload `w` as a ContainerView. */
export function k8sContainer(w: K8sObject, c: K8sContainer, cms: ReadonlyMap<string, Record<string, string>>): ContainerView {
  const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
  const pod = w.spec?.template?.spec;
  if (pod === undefined) throw new Error(`${where}: no pod template`);
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef === undefined) throw new Error(`${where}: only envFrom configMapRef is understood here`);
    const data = cms.get(from.configMapRef.name);
    if (data === undefined) throw new Error(`${where}: envFrom ConfigMap ${from.configMapRef.name} is not in the manifests`);
    for (const [k, v] of Object.entries(data)) env.set(k, v);
  }
  // `env` entries win over `envFrom`, as in Kubernetes.
  for (const e of c.env ?? []) {
    if (e.value === undefined) throw new Error(`${where}: env ${e.name} has no literal value`);
    env.set(e.name, e.value);
  }
  const claims = new Set((w.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata.name));
  const mounts: Mount[] = (c.volumeMounts ?? []).map((vm) => {
    if (vm.subPath !== undefined) throw new Error(`${where}: subPath mounts never see ConfigMap updates; mount the whole volume`);
    const readOnly = vm.readOnly ?? false;
    if (claims.has(vm.name)) return { path: vm.mountPath, kind: 'pvc', source: vm.name, readOnly };
    const v = (pod.volumes ?? []).find((x) => x.name === vm.name);
    if (v === undefined) throw new Error(`${where}: volume ${vm.name} is mounted but not declared`);
    if (v.configMap !== undefined && v.configMap.items === undefined) return { path: vm.mountPath, kind: 'config-map', source: v.configMap.name, readOnly };
    if (v.secret !== undefined && v.secret.items === undefined) return { path: vm.mountPath, kind: 'secret', source: v.secret.secretName, readOnly };
    if (v.emptyDir !== undefined) return { path: vm.mountPath, kind: 'empty-dir', source: vm.name, readOnly };
    if (v.persistentVolumeClaim !== undefined) return { path: vm.mountPath, kind: 'pvc', source: v.persistentVolumeClaim.claimName, readOnly };
    throw new Error(`${where}: volume ${vm.name} is of a kind this test does not know`);
  });
  const probes = [c.readinessProbe, c.livenessProbe].flatMap((p) =>
    p?.httpGet === undefined ? [] : [{ path: p.httpGet.path, port: portNumber(c, p.httpGet.port) }]);
  const limit = c.resources?.limits?.memory;
  return {
    where,
    image: c.image,
    args: c.args ?? [],
    env,
    mounts,
    readFile: mountedFiles(where, mounts, cms),
    ports: new Map((c.ports ?? []).map((p) => [p.name ?? String(p.containerPort), p.containerPort])),
    probes,
    stopGraceMs: (pod.terminationGracePeriodSeconds ?? 30) * 1000,
    memoryLimit: limit === undefined ? undefined : memoryBytes(limit),
  };
}
