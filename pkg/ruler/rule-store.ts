// Where rule groups live: a bucket under rules/<tenant>/<namespace>/<group> (names base64url as
// in Cortex's bucket client; each object is the group's YAML), or a read-only local directory of
// Prometheus rule files (<directory>/<tenant>/<namespace>).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bucket } from '../bucket/index.js';
import { parseRuleFile, parseRuleGroup, ruleGroupYaml, type RuleGroupDesc } from './rulefmt.js';

/** A tenant's groups by namespace, namespaces and groups in name order. */
export type TenantRules = Map<string, RuleGroupDesc[]>;

export interface RuleStore {
  readonly readOnly: boolean;
  /** Tenants that have at least one rule group. */
  tenants(): Promise<string[]>;
  rules(tenant: string): Promise<TenantRules>;
  setGroup(tenant: string, namespace: string, group: RuleGroupDesc): Promise<void>;
  /** False when there was no such group. */
  deleteGroup(tenant: string, namespace: string, group: string): Promise<boolean>;
}

/** A store edit refused because the store is read-only (the local backend). */
export class ReadOnlyStoreError extends Error {
  constructor() {
    super('the rule storage is read-only (-ruler-storage.backend=local): change the rule files instead');
    this.name = 'ReadOnlyStoreError';
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const unb64 = (s: string): string => Buffer.from(s, 'base64url').toString();
const rulesPrefix = 'rules/';

export class BucketRuleStore implements RuleStore {
  readonly readOnly = false;
  readonly #bucket: Bucket;
  /** Parsed groups by object name and the text they came from: only changed objects are parsed again. */
  readonly #parsed = new Map<string, { text: string; group: RuleGroupDesc }>();

  constructor(bucket: Bucket) {
    this.#bucket = bucket;
  }

  async tenants(): Promise<string[]> {
    const out: string[] = [];
    await this.#bucket.iter(rulesPrefix, (name) => {
      if (name.endsWith('/')) out.push(name.slice(rulesPrefix.length, -1));
    });
    return out;
  }

  async rules(tenant: string): Promise<TenantRules> {
    const names: string[] = [];
    await this.#bucket.iter(`${rulesPrefix}${tenant}/`, (name) => {
      names.push(name);
    }, { recursive: true });
    const out: TenantRules = new Map();
    for (const name of names) {
      const [ns, group] = name.slice(rulesPrefix.length + tenant.length + 1).split('/');
      if (ns === undefined || group === undefined) continue;
      const desc = await this.#load(name);
      if (desc === undefined) continue;
      const namespace = unb64(ns);
      out.set(namespace, [...(out.get(namespace) ?? []), desc]);
    }
    return sortRules(out);
  }

  async #load(name: string): Promise<RuleGroupDesc | undefined> {
    let text: string;
    try {
      text = (await this.#bucket.get(name)).toString();
    } catch (err) {
      if (this.#bucket.isObjNotFoundErr(err)) return undefined; // deleted since the listing
      throw err;
    }
    const cached = this.#parsed.get(name);
    if (cached?.text === text) return cached.group;
    const group = parseRuleGroup(text);
    this.#parsed.set(name, { text, group });
    return group;
  }

  async setGroup(tenant: string, namespace: string, group: RuleGroupDesc): Promise<void> {
    await this.#bucket.upload(objectName(tenant, namespace, group.name), Buffer.from(ruleGroupYaml(group)));
  }

  async deleteGroup(tenant: string, namespace: string, group: string): Promise<boolean> {
    const name = objectName(tenant, namespace, group);
    this.#parsed.delete(name);
    try {
      await this.#bucket.delete(name);
      return true;
    } catch (err) {
      if (this.#bucket.isObjNotFoundErr(err)) return false;
      throw err;
    }
  }
}

function objectName(tenant: string, namespace: string, group: string): string {
  return `${rulesPrefix}${tenant}/${b64(namespace)}/${b64(group)}`;
}

/** Prometheus rule files in <directory>/<tenant>/<namespace>, read-only. */
export class LocalRuleStore implements RuleStore {
  readonly readOnly = true;

  constructor(readonly directory: string) {}

  /** No directory means no rules (Cortex's example configs name one that may not exist yet). */
  async tenants(): Promise<string[]> {
    try {
      const entries = await readdir(this.directory, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async rules(tenant: string): Promise<TenantRules> {
    const out: TenantRules = new Map();
    let files: string[];
    try {
      files = await readdir(join(this.directory, tenant));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const f of files) {
      const text = await readFile(join(this.directory, tenant, f), 'utf8');
      try {
        out.set(f, parseRuleFile(text));
      } catch (err) {
        throw new Error(`load rule file ${join(this.directory, tenant, f)}`, { cause: err });
      }
    }
    return sortRules(out);
  }

  setGroup(): Promise<void> {
    return Promise.reject(new ReadOnlyStoreError());
  }

  deleteGroup(): Promise<boolean> {
    return Promise.reject(new ReadOnlyStoreError());
  }
}

function sortRules(r: TenantRules): TenantRules {
  const byName = (a: RuleGroupDesc, b: RuleGroupDesc): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return new Map([...r.keys()].sort().map((ns) => [ns, [...(r.get(ns) ?? [])].sort(byName)]));
}
