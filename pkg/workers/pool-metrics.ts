import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** One pool's metrics; `pool` names it (e.g. `querier`). */
export class PoolMetrics {
  readonly workers: Gauge;
  readonly tasks: Counter<'outcome'>;
  readonly restarts: Counter<'reason'>;

  constructor(reg: Registry, pool: string, live: { busy: () => number; queued: () => number }) {
    this.workers = new Gauge({ name: `myelin_${pool}_workers`, help: 'Tasks the pool runs at once (it keeps one more worker started as a spare).', registers: [reg] });
    new Gauge({
      name: `myelin_${pool}_workers_busy`, help: 'Worker threads running a task now.', registers: [reg],
      collect() { this.set(live.busy()); },
    });
    new Gauge({
      name: `myelin_${pool}_queue_length`, help: 'Tasks waiting for a free worker.', registers: [reg],
      collect() { this.set(live.queued()); },
    });
    this.tasks = new Counter({
      name: `myelin_${pool}_worker_tasks_total`, help: 'Tasks handed to the pool, by outcome (success, error, timeout, canceled, worker_exit).',
      labelNames: ['outcome'], registers: [reg],
    });
    this.restarts = new Counter({
      name: `myelin_${pool}_worker_restarts_total`,
      help: 'Workers replaced, by reason (abandoned: its task passed its deadline or lost its caller; out_of_memory; exited).',
      labelNames: ['reason'], registers: [reg],
    });
  }
}
