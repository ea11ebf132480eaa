// The ruler: loads every tenant's rule groups from the rule store (every -ruler.poll-interval, and
// at once after a change through the config API), runs each group on its own timer, and keeps
// groups whose definition did not change running with their alert state.
import type { Registry } from 'prom-client';
import { sleep } from './sleep.js';
import type { Logger } from '../log/index.js';
import { basicService, type Service } from '../services/index.js';
import { AlertmanagerClient } from './alertmanager-client.js';
import { AlertmanagerDiscovery } from './alertmanager-discovery.js';
import { alertmanagerUrls, type RulerConfig } from './config.js';
import { RuleGroup, type GroupDeps } from './group.js';
import { RulerMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import type { InstantQuery, RangeSelect, RuleAppend } from './rule-query.js';
import { ruleGroupYaml } from './rulefmt.js';
import type { RuleStore } from './rule-store.js';

export interface RulerDeps {
  store: RuleStore;
  query: InstantQuery;
  select: RangeSelect;
  append: RuleAppend;
  /** The tenant's -ruler.evaluation-delay-duration (ms). */
  evaluationDelay: (tenant: string) => number;
  /** The tenant's own -ruler.alertmanager-url (limit `ruler_alertmanager_config`), '' for the ruler's. */
  tenantAlertmanagers?: (tenant: string) => string;
  /** With sharding: whether this ruler evaluates the group. Without: every group is this ruler's. */
  owns?: (tenant: string, namespace: string, group: string) => boolean;
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

interface Running {
  group: RuleGroup;
  /** The definition it runs, to tell a changed group from an unchanged one. */
  yaml: string;
  stop: AbortController;
  done: Promise<void>;
}

export class Ruler {
  readonly cfg: RulerConfig;
  readonly metrics: RulerMetrics;
  readonly #deps: RulerDeps;
  readonly #logger: Logger;
  /** tenant → group key → running group */
  readonly #running = new Map<string, Map<string, Running>>();
  readonly #notifiers = new Map<string, Notifier>();
  /** One discovery per distinct -ruler.alertmanager-url value (the ruler's, and tenants' own). */
  readonly #discoveries = new Map<string, AlertmanagerDiscovery>();
  #syncing: Promise<void> = Promise.resolve();
  readonly #alertmanagerClient: AlertmanagerClient;

  constructor(cfg: RulerConfig, deps: RulerDeps) {
    this.cfg = cfg;
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'ruler' });
    this.metrics = new RulerMetrics(deps.registry);
    this.#alertmanagerClient = new AlertmanagerClient(cfg.alertmanagerClient, cfg.notificationTimeout);
  }

  service(): Service {
    return basicService('ruler', {
      starting: () => this.sync('initial'),
      running: async (signal) => {
        while (!signal.aborted) {
          if (!(await sleep(this.cfg.pollInterval, signal))) break;
          await this.sync('periodic').catch((err: unknown) => this.#logger.warn({ err }, 'syncing rules failed'));
        }
      },
      stopping: async () => {
        await this.#syncing;
        const all = [...this.#running.values()].flatMap((m) => [...m.values()]);
        for (const r of all) r.stop.abort();
        await Promise.all(all.map((r) => r.done));
        await Promise.all([...this.#notifiers.values()].map((n) => n.flush()));
        this.#alertmanagerClient.close();
      },
    });
  }

  /** The groups running for a tenant, in namespace then group order. */
  groups(tenant: string): RuleGroup[] {
    return [...(this.#running.get(tenant)?.values() ?? [])].map((r) => r.group);
  }

  /** Reloads every tenant's rules (one sync at a time). */
  sync(reason: 'initial' | 'periodic' | 'api-change' | 'ring-change'): Promise<void> {
    this.#syncing = this.#syncing.catch(() => {}).then(async () => {
      this.metrics.syncs.inc({ reason });
      const tenants = new Set(await this.#deps.store.tenants());
      for (const t of this.#running.keys()) tenants.add(t);
      // One tenant's unreadable rules leave the others (and its running groups) as they are.
      for (const t of tenants) {
        await this.#syncTenant(t).catch((err: unknown) => this.#logger.error({ tenant: t, err }, 'loading rules of tenant failed'));
      }
    });
    return this.#syncing;
  }

  async #syncTenant(tenant: string): Promise<void> {
    const rules = await this.#deps.store.rules(tenant);
    const before = this.#running.get(tenant) ?? new Map<string, Running>();
    // Prometheus restores for-state only for the groups of a rule manager's first load.
    const firstLoad = !this.#running.has(tenant);
    const after = new Map<string, Running>();
    for (const [ns, groups] of rules) {
      for (const desc of groups) {
        if (this.#deps.owns !== undefined && !this.#deps.owns(tenant, ns, desc.name)) continue;
        const yaml = ruleGroupYaml(desc);
        const key = `${ns};${desc.name}`;
        const old = before.get(key);
        if (old !== undefined && old.yaml === yaml) {
          after.set(key, old);
          continue;
        }
        const group = new RuleGroup(tenant, ns, desc, {
          defaultInterval: this.cfg.evaluationInterval,
          resendDelay: this.cfg.resendDelay,
          forGracePeriod: this.cfg.forGracePeriod,
          forOutageTolerance: this.cfg.forOutageTolerance,
          template: { externalLabels: this.cfg.externalLabels, externalURL: this.cfg.externalUrl },
          restoreForState: firstLoad,
        }, this.#groupDeps(tenant));
        if (old !== undefined) {
          old.stop.abort();
          await old.done;
          group.adoptState(old.group);
        }
        after.set(key, this.#start(group, yaml));
      }
    }
    for (const [key, old] of before) {
      if (after.has(key)) continue;
      old.stop.abort();
      await old.done;
      // Only a group that was deleted: one that moved to another ruler is written by that ruler now.
      const moved = rules.get(old.group.namespace)?.some((d) => d.name === old.group.desc.name) === true;
      if (!moved) await old.group.markStale((this.#deps.now ?? Date.now)());
      this.metrics.forgetGroup(tenant, key);
    }
    if (after.size > 0) this.#running.set(tenant, new Map([...after].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
    else this.#running.delete(tenant);
  }

  #start(group: RuleGroup, yaml: string): Running {
    const stop = new AbortController();
    const done = group.run(stop.signal).catch((err: unknown) => {
      this.#logger.error({ tenant: group.tenant, group: group.desc.name, err }, 'rule group stopped');
    });
    return { group, yaml, stop, done };
  }

  #groupDeps(tenant: string): GroupDeps {
    return {
      query: this.#deps.query,
      select: this.#deps.select,
      append: this.#deps.append,
      notifier: this.#notifier(tenant),
      metrics: this.metrics,
      logger: this.#logger,
      evaluationDelay: () => this.#deps.evaluationDelay(tenant),
      now: this.#deps.now ?? Date.now,
    };
  }

  /** The tenant's Alertmanagers now: its own when its limits name some, else the ruler's. */
  #alertmanagers(tenant: string): Promise<string[]> {
    const list = this.#deps.tenantAlertmanagers?.(tenant) || this.cfg.alertmanagerUrl;
    let d = this.#discoveries.get(list);
    if (d === undefined) {
      d = new AlertmanagerDiscovery(alertmanagerUrls(list, this.cfg.enableAlertmanagerDiscovery), this.cfg.alertmanagerRefreshInterval, this.#logger);
      this.#discoveries.set(list, d);
    }
    return d.urls();
  }

  #notifier(tenant: string): Notifier {
    let n = this.#notifiers.get(tenant);
    if (n === undefined) {
      n = new Notifier({ urls: () => this.#alertmanagers(tenant), capacity: this.cfg.notificationQueueCapacity, client: this.#alertmanagerClient }, tenant, this.metrics.notifier, this.#logger);
      this.#notifiers.set(tenant, n);
    }
    return n;
  }
}
