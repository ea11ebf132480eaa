// An alerting rule's state machine, as Prometheus' rules/alerting.go runs it: every result sample
// is an alert, pending until it has been active for `for`, then firing; when it leaves the result it
// becomes inactive (resolved), a firing one only after `keep_firing_for`; resolved alerts are kept
// 15 minutes so Alertmanager hears of the resolution.
import type { RuleDesc } from './rulefmt.js';
import type { RuleSample } from './rule-query.js';
import { AlertTemplate } from './template/index.js';

export const AlertState = { Inactive: 'inactive', Pending: 'pending', Firing: 'firing' } as const;
export type AlertState = (typeof AlertState)[keyof typeof AlertState];

export interface Alert {
  /** Sorted by name; with alertname. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  /** ms; 0 when never. */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  /** ms; -Infinity before the first notification. */
  lastSentAt: number;
  keepFiringSince: number;
  validUntil: number;
}

/** How long resolved alerts are kept and re-sent (Prometheus' resolvedRetention). */
const resolvedRetention = 15 * 60_000;

export interface TemplateContext {
  externalLabels: Record<string, string>;
  externalURL: string;
}

/** A sample to write: ALERTS or ALERTS_FOR_STATE of an alert. */
export interface OutputSample {
  labels: Record<string, string>;
  value: number;
}

export class AlertingRule {
  readonly desc: RuleDesc;
  readonly active = new Map<string, Alert>();
  /** Set once the for-state was restored (or needs none): ALERTS are written from then on. */
  restored: boolean;
  readonly #labelTemplates: Array<[string, AlertTemplate]>;
  readonly #annotationTemplates: Array<[string, AlertTemplate]>;

  constructor(desc: RuleDesc, restored = false) {
    this.desc = desc;
    this.restored = restored;
    const tmpl = ([k, v]: [string, string]): [string, AlertTemplate] => [k, new AlertTemplate(`__alert_${desc.alert}`, v)];
    this.#labelTemplates = Object.entries(desc.labels).map(tmpl);
    this.#annotationTemplates = Object.entries(desc.annotations).map(tmpl);
  }

  get name(): string {
    return this.desc.alert;
  }

  /**
   * One evaluation at `ts` over the query's result: updates the alerts and returns the ALERTS and
   * ALERTS_FOR_STATE samples to write. Throws when two samples make the same alert, or past `limit`.
   */
  eval(ts: number, result: RuleSample[], ctx: TemplateContext, limit: number): OutputSample[] {
    const seen = new Map<string, Alert>();
    for (const s of result) {
      // Templates see the sample's labels with __name__ ($labels.__name__), the alert does not (Prometheus).
      const data = { labels: s.labels, externalLabels: ctx.externalLabels, externalURL: ctx.externalURL, value: s.value };
      const expand = (t: AlertTemplate): string => {
        try {
          return t.expand(data);
        } catch (err) {
          return `<error expanding template: ${(err as Error).message}>`;
        }
      };
      const { __name__: _, ...alertLabels } = s.labels;
      for (const [k, t] of this.#labelTemplates) setLabel(alertLabels, k, expand(t));
      alertLabels.alertname = this.desc.alert;
      const annotations = sortLabels(Object.fromEntries(this.#annotationTemplates.map(([k, t]) => [k, expand(t)])));
      const sorted = sortLabels(alertLabels);
      const key = labelsKey(sorted);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      seen.set(key, newAlert(sorted, annotations, ts, s.value));
    }
    for (const [key, a] of seen) {
      const old = this.active.get(key);
      if (old !== undefined && old.state !== AlertState.Inactive) {
        old.value = a.value;
        old.annotations = a.annotations;
      } else this.active.set(key, a);
    }
    const out: OutputSample[] = [];
    let activeCount = 0;
    for (const [key, a] of this.active) {
      if (!seen.has(key)) {
        const keepFiring = a.state === AlertState.Firing && this.desc.keepFiringFor > 0 && this.#keepsFiring(a, ts);
        if (!keepFiring) {
          if (a.state === AlertState.Pending || (a.resolvedAt !== 0 && ts - a.resolvedAt > resolvedRetention)) this.active.delete(key);
          if (a.state !== AlertState.Inactive) {
            a.state = AlertState.Inactive;
            a.resolvedAt = ts;
          }
          continue;
        }
      } else a.keepFiringSince = 0;
      activeCount++;
      if (a.state === AlertState.Pending && ts - a.activeAt >= this.desc.for) {
        a.state = AlertState.Firing;
        a.firedAt = ts;
      }
      if (this.restored) {
        out.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, value: 1 });
        // Whole seconds, as Prometheus writes activeAt.Unix().
        out.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, value: Math.floor(a.activeAt / 1000) });
      }
    }
    if (limit > 0 && activeCount > limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${activeCount} alerts`);
    }
    return out;
  }

  #keepsFiring(a: Alert, ts: number): boolean {
    if (a.keepFiringSince === 0) a.keepFiringSince = ts;
    return ts - a.keepFiringSince < this.desc.keepFiringFor;
  }

  /** Alerts to notify at `ts`: Prometheus' needsSending (new state, resolved unsent, or resend due). */
  alertsToSend(ts: number, resendDelay: number, interval: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (a.state === AlertState.Pending) continue;
      if (!(a.resolvedAt > a.lastSentAt || a.lastSentAt + resendDelay < ts)) continue;
      a.lastSentAt = ts;
      // Alertmanager resolves an alert it stops hearing of after endsAt: 4 intervals or resend delays.
      a.validUntil = ts + 4 * Math.max(resendDelay, interval);
      out.push({ ...a });
    }
    return out;
  }
}

function newAlert(labels: Record<string, string>, annotations: Record<string, string>, ts: number, value: number): Alert {
  return { labels, annotations, state: AlertState.Pending, value, activeAt: ts, firedAt: 0, resolvedAt: 0, lastSentAt: -Infinity, keepFiringSince: 0, validUntil: 0 };
}

/** Sets a label, or removes it when the value is empty: Prometheus' labels.Builder.Set. */
export function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (value === '') delete labels[name];
  else labels[name] = value;
}

export function sortLabels(l: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A map key of a sorted label set. */
export function labelsKey(sorted: Record<string, string>): string {
  return JSON.stringify(sorted);
}
