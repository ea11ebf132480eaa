// The ruler's metrics: Prometheus' rule manager and notifier metrics per tenant, as Cortex exports
// them (cortex_prometheus_* → myelin_prometheus_*), and the ruler's own.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

export interface NotifierMetrics {
  sent: Counter<'user' | 'alertmanager'>;
  errors: Counter<'user' | 'alertmanager'>;
  dropped: Counter<'user'>;
  queueLength: Gauge<'user'>;
  queueCapacity: Gauge<'user'>;
  latency: Summary<'user' | 'alertmanager'>;
  alertmanagersDiscovered: Gauge<'user'>;
}

export class RulerMetrics {
  readonly evaluations: Counter<'user' | 'rule_group'>;
  readonly evaluationFailures: Counter<'user' | 'rule_group'>;
  readonly iterations: Counter<'user' | 'rule_group'>;
  readonly iterationsMissed: Counter<'user' | 'rule_group'>;
  readonly lastDuration: Gauge<'user' | 'rule_group'>;
  readonly lastEvaluation: Gauge<'user' | 'rule_group'>;
  readonly groupRules: Gauge<'user' | 'rule_group'>;
  readonly groupInterval: Gauge<'user' | 'rule_group'>;
  readonly queries: Counter<'user'>;
  readonly queriesFailed: Counter<'user'>;
  readonly writes: Counter<'user'>;
  readonly writesFailed: Counter<'user'>;
  readonly syncs: Counter<'reason'>;
  readonly notifier: NotifierMetrics;

  constructor(reg: Registry) {
    const groupLabels = ['user', 'rule_group'] as const;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> => new Counter({ name, help, labelNames, registers: [reg] });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> => new Gauge({ name, help, labelNames, registers: [reg] });
    this.evaluations = counter('myelin_prometheus_rule_evaluations_total', 'The total number of rule evaluations.', groupLabels);
    this.evaluationFailures = counter('myelin_prometheus_rule_evaluation_failures_total', 'The total number of rule evaluation failures.', groupLabels);
    this.iterations = counter('myelin_prometheus_rule_group_iterations_total', 'The total number of scheduled rule group evaluations, whether executed or missed.', groupLabels);
    this.iterationsMissed = counter('myelin_prometheus_rule_group_iterations_missed_total', 'The total number of rule group evaluations missed due to slow rule group evaluation.', groupLabels);
    this.lastDuration = gauge('myelin_prometheus_rule_group_last_duration_seconds', 'The duration of the last rule group evaluation.', groupLabels);
    this.lastEvaluation = gauge('myelin_prometheus_rule_group_last_evaluation_timestamp_seconds', 'The timestamp of the last rule group evaluation in seconds.', groupLabels);
    this.groupRules = gauge('myelin_prometheus_rule_group_rules', 'The number of rules.', groupLabels);
    this.groupInterval = gauge('myelin_prometheus_rule_group_interval_seconds', 'The interval of a rule group.', groupLabels);
    this.queries = counter('myelin_ruler_queries_total', 'Number of queries executed by the ruler.', ['user']);
    this.queriesFailed = counter('myelin_ruler_queries_failed_total', 'Number of failed queries by the ruler.', ['user']);
    this.writes = counter('myelin_ruler_write_requests_total', 'Number of write requests of rule results to the distributor.', ['user']);
    this.writesFailed = counter('myelin_ruler_write_requests_failed_total', 'Number of failed write requests of rule results to the distributor.', ['user']);
    this.syncs = counter('myelin_ruler_sync_rules_total', 'Total number of times the ruler synced its rules, by reason.', ['reason']);
    this.notifier = {
      sent: counter('myelin_prometheus_notifications_sent_total', 'Total number of alerts sent.', ['user', 'alertmanager']),
      errors: counter('myelin_prometheus_notifications_errors_total', 'Total number of errors sending alert notifications.', ['user', 'alertmanager']),
      dropped: counter('myelin_prometheus_notifications_dropped_total', 'Total number of alerts dropped due to errors when sending to Alertmanager.', ['user']),
      queueLength: gauge('myelin_prometheus_notifications_queue_length', 'The number of alert notifications in the queue.', ['user']),
      queueCapacity: gauge('myelin_prometheus_notifications_queue_capacity', 'The capacity of the alert notifications queue.', ['user']),
      latency: new Summary({
        name: 'myelin_prometheus_notifications_latency_seconds', help: 'Latency quantiles for sending alert notifications.',
        labelNames: ['user', 'alertmanager'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers: [reg],
      }),
      alertmanagersDiscovered: gauge('myelin_prometheus_notifications_alertmanagers_discovered', 'The number of alertmanagers discovered and active.', ['user']),
    };
  }

  /** Drops the series of a group that is no longer evaluated here. */
  forgetGroup(user: string, group: string): void {
    for (const m of [this.evaluations, this.evaluationFailures, this.iterations, this.iterationsMissed, this.lastDuration, this.lastEvaluation, this.groupRules, this.groupInterval]) {
      m.remove({ user, rule_group: group });
    }
  }
}
