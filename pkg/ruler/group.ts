// One tenant's rule group, run as Prometheus' rules.Group runs it: evaluated every interval at
// timestamps aligned to the interval (offset by a hash of the group, so groups spread out), rules
// in order, each rule's results written before the next rule's query; staleness markers for
// series a rule stopped producing; missed iterations counted; for a group loaded with its tenant's
// first rules, for-state restored from ALERTS_FOR_STATE after the second evaluation.
import type { TimeSeries } from '../generated/prometheus/types.js';
import type { Logger } from '../log/index.js';
import { Labels, labelsHashHiLo } from '../model/labels/index.js';
import { StaleNaN } from '../tsdb/chunkenc/index.js';
import { AlertState, AlertingRule, labelsKey, setLabel, sortLabels } from './alerting-rule.js';
import type { Alert, OutputSample, TemplateContext } from './alerting-rule.js';
import type { RulerMetrics } from './metrics.js';
import type { Notifier, PostableAlert } from './notifier.js';
import { restoreForState } from './restore.js';
import { sleep } from './sleep.js';
import { tableLink } from './template/index.js';
import type { InstantQuery, RangeSelect, RuleAppend } from './rule-query.js';
import type { RuleDesc, RuleGroupDesc } from './rulefmt.js';

export interface GroupOptions {
  /** ms: the ruler's -ruler.evaluation-interval, for groups without their own. */
  defaultInterval: number;
  resendDelay: number;
  forGracePeriod: number;
  forOutageTolerance: number;
  template: TemplateContext;
  /**
   * Whether the group restores the for-state of its alerts: true for groups loaded when the ruler
   * starts the tenant, false for groups added later (Prometheus' manager restores only at its
   * first load). Until the restore, alerting rules write no ALERTS.
   */
  restoreForState: boolean;
}

export interface GroupDeps {
  query: InstantQuery;
  select: RangeSelect;
  append: RuleAppend;
  notifier?: Pick<Notifier, 'send'>;
  metrics: RulerMetrics;
  logger: Logger;
  /** -ruler.evaluation-delay-duration of the tenant (ms), read at every evaluation. */
  evaluationDelay: () => number;
  now: () => number;
}

/** What the rules API shows of one rule. */
export interface RuleStatus {
  desc: RuleDesc;
  health: 'unknown' | 'ok' | 'err';
  lastError: string;
  /** ms; 0 before the first evaluation. */
  lastEvaluation: number;
  /** seconds */
  evaluationTime: number;
  alerting?: AlertingRule;
}

export class RuleGroup {
  readonly tenant: string;
  readonly namespace: string;
  readonly desc: RuleGroupDesc;
  readonly interval: number;
  readonly rules: RuleStatus[];
  lastEvaluation = 0;
  evaluationTime = 0;
  readonly #opts: GroupOptions;
  readonly #deps: GroupDeps;
  /** The series each rule wrote at its previous evaluation, for staleness markers. */
  readonly #previous: Array<Map<string, Record<string, string>>>;
  #restorePending: boolean;

  constructor(tenant: string, namespace: string, desc: RuleGroupDesc, opts: GroupOptions, deps: GroupDeps) {
    this.tenant = tenant;
    this.namespace = namespace;
    this.desc = desc;
    this.interval = desc.interval > 0 ? desc.interval : opts.defaultInterval;
    this.#opts = opts;
    this.#deps = deps;
    this.#restorePending = opts.restoreForState;
    this.rules = desc.rules.map((r) => ({ desc: r, health: 'unknown', lastError: '', lastEvaluation: 0, evaluationTime: 0, alerting: r.alert !== '' ? new AlertingRule(r, !opts.restoreForState) : undefined }));
    this.#previous = desc.rules.map(() => new Map());
  }

  /** Prometheus' group key, the rule_group label of the metrics. */
  get key(): string {
    return `${this.namespace};${this.desc.name}`;
  }

  /** Carries alert state over from the group this one replaces (same rules, new definition). */
  adoptState(old: RuleGroup): void {
    // What each rule wrote last, so the next evaluation marks stale what it no longer writes.
    this.rules.forEach((r, i) => {
      const j = old.rules.findIndex((o) => (o.desc.record || o.desc.alert) === (r.desc.record || r.desc.alert));
      if (j >= 0) this.#previous[i] = old.#previous[j];
    });
    for (const r of this.rules) {
      const before = old.rules.find((o) => o.alerting !== undefined && o.alerting.name === r.desc.alert && o.desc.expr === r.desc.expr);
      if (r.alerting !== undefined && before?.alerting !== undefined) {
        for (const [k, a] of before.alerting.active) r.alerting.active.set(k, a);
        r.alerting.restored = before.alerting.restored;
      }
    }
    this.#restorePending = old.#restorePending;
  }

  /** Writes staleness markers for every series the group wrote last: it is removed (Prometheus' markStale). */
  async markStale(ts: number): Promise<void> {
    for (let i = 0; i < this.rules.length; i++) await this.#write(i, ts, []);
  }

  /** The first evaluation time after `now`: aligned to the interval, offset by the group's hash. */
  nextEvaluation(now: number): number {
    const [, lo] = labelsHashHiLo(Labels.fromRecord({ name: this.desc.name, file: this.namespace }));
    const offset = lo % this.interval;
    const adj = now - offset;
    return adj - (adj % this.interval) + offset + this.interval;
  }

  /** Evaluates at each aligned timestamp until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const m = this.#deps.metrics;
    const labels = { user: this.tenant, rule_group: this.key };
    m.groupRules.set(labels, this.rules.length);
    m.groupInterval.set(labels, this.interval / 1000);
    let ts = this.nextEvaluation(this.#deps.now());
    let evaluated = 0;
    while (!signal.aborted) {
      if (!(await sleep(ts - this.#deps.now(), signal))) return;
      const missed = Math.floor((this.#deps.now() - ts) / this.interval);
      if (missed > 0) {
        m.iterationsMissed.inc(labels, missed);
        m.iterations.inc(labels, missed);
        ts += missed * this.interval;
      }
      m.iterations.inc(labels);
      await this.evaluate(ts);
      // Prometheus waits for a second evaluation: at the first, recording rules an alert reads may not have run yet.
      if (this.#restorePending && ++evaluated >= 2) {
        this.#restorePending = false;
        await this.#restore(this.#deps.now());
      }
      ts += this.interval;
    }
  }

  /** One evaluation of every rule at `ts` (before the evaluation delay). */
  async evaluate(ts: number): Promise<void> {
    const m = this.#deps.metrics;
    const labels = { user: this.tenant, rule_group: this.key };
    const started = performance.now();
    const evalTs = ts - this.#deps.evaluationDelay();
    for (let i = 0; i < this.rules.length; i++) await this.#evalRule(i, evalTs);
    this.evaluationTime = (performance.now() - started) / 1000;
    this.lastEvaluation = ts;
    m.lastDuration.set(labels, this.evaluationTime);
    m.lastEvaluation.set(labels, ts / 1000);
  }

  async #evalRule(i: number, ts: number): Promise<void> {
    const rule = this.rules[i];
    const m = this.#deps.metrics;
    const user = this.tenant;
    const started = performance.now();
    m.evaluations.inc({ user, rule_group: this.key });
    let output: OutputSample[] | undefined;
    try {
      m.queries.inc({ user });
      const result = await this.#deps.query(user, rule.desc.expr, ts).catch((err: unknown) => {
        m.queriesFailed.inc({ user });
        throw err;
      });
      output = rule.alerting !== undefined
        ? rule.alerting.eval(ts, result, this.#opts.template, this.desc.limit)
        : recordingOutput(rule.desc, result, this.desc.limit);
      rule.health = 'ok';
      rule.lastError = '';
    } catch (err) {
      rule.health = 'err';
      rule.lastError = (err as Error).message;
      m.evaluationFailures.inc({ user, rule_group: this.key });
      this.#deps.logger.warn({ tenant: user, group: this.desc.name, rule: rule.desc.record || rule.desc.alert, err }, 'evaluating rule failed');
    }
    rule.lastEvaluation = ts;
    // A failed evaluation writes nothing (no staleness markers either) and sends nothing, as in Prometheus.
    if (output !== undefined) {
      await this.#write(i, ts, output);
      if (rule.alerting !== undefined) this.#notify(rule.alerting, ts);
    }
    rule.evaluationTime = (performance.now() - started) / 1000;
  }

  /** Writes a rule's output, and staleness markers for the series it wrote last time and not now. */
  async #write(i: number, ts: number, output: OutputSample[]): Promise<void> {
    const now = new Map<string, Record<string, string>>();
    const series: TimeSeries[] = [];
    for (const s of output) {
      const sorted = sortLabels(s.labels);
      now.set(labelsKey(sorted), sorted);
      series.push(timeSeries(sorted, s.value, ts));
    }
    for (const [k, l] of this.#previous[i]) if (!now.has(k)) series.push(timeSeries(l, StaleNaN, ts));
    this.#previous[i] = now;
    const user = this.tenant;
    this.#deps.metrics.writes.inc({ user });
    try {
      await this.#deps.append(user, series);
    } catch (err) {
      this.#deps.metrics.writesFailed.inc({ user });
      const rule = this.rules[i];
      rule.health = 'err';
      rule.lastError = (err as Error).message;
      this.#deps.logger.warn({ tenant: user, group: this.desc.name, err }, 'writing rule results failed');
    }
  }

  #notify(rule: AlertingRule, ts: number): void {
    const n = this.#deps.notifier;
    if (n === undefined) return;
    const alerts = rule.alertsToSend(ts, this.#opts.resendDelay, this.interval);
    n.send(alerts.map((a) => this.#postable(a, rule.desc.expr)));
  }

  #postable(a: Alert, expr: string): PostableAlert {
    const { externalLabels, externalURL } = this.#opts.template;
    return {
      // External labels go on every alert unless the alert has the label itself (Prometheus).
      labels: { ...externalLabels, ...a.labels },
      annotations: a.annotations,
      startsAt: new Date(a.firedAt).toISOString(),
      endsAt: new Date(a.resolvedAt !== 0 && a.state === AlertState.Inactive ? a.resolvedAt : a.validUntil).toISOString(),
      generatorURL: `${externalURL.replace(/\/$/, '')}${tableLink(expr)}`,
    };
  }

  async #restore(ts: number): Promise<void> {
    for (const r of this.rules) {
      if (r.alerting === undefined) continue;
      try {
        await restoreForState(r.alerting, this.tenant, ts, { select: this.#deps.select, forGracePeriod: this.#opts.forGracePeriod, outageTolerance: this.#opts.forOutageTolerance });
      } catch (err) {
        this.#deps.logger.warn({ tenant: this.tenant, group: this.desc.name, alert: r.alerting.name, err }, 'restoring the for-state of alerts failed');
      }
      r.alerting.restored = true;
    }
  }
}

/** A recording rule's output: its samples renamed to the record, with the rule's labels. */
function recordingOutput(desc: RuleDesc, result: Array<{ labels: Record<string, string>; value: number }>, limit: number): OutputSample[] {
  const out: OutputSample[] = [];
  const seen = new Set<string>();
  for (const s of result) {
    const labels = { ...s.labels, __name__: desc.record };
    for (const [k, v] of Object.entries(desc.labels)) setLabel(labels, k, v);
    const key = labelsKey(sortLabels(labels));
    if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
    seen.add(key);
    out.push({ labels, value: s.value });
  }
  if (limit > 0 && out.length > limit) throw new Error(`exceeded limit ${limit} with ${out.length} series`);
  return out;
}

function timeSeries(labels: Record<string, string>, value: number, ts: number): TimeSeries {
  return { labels: Object.entries(labels).map(([name, v]) => ({ name, value: v })), samples: [{ value, timestamp: ts }], exemplars: [], histograms: [] };
}
