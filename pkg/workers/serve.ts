// The worker side of a WorkerPool: serves one task at a time, cancels it on request, and sends
// the worker's metrics back (at start, then at most once a second while it works).
import { parentPort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import { RpcChannel } from './rpc.js';

/** The notification that carries a task's emitted bytes. */
export const taskData = 'task.data';

/** How often a busy worker sends its metrics (ms). */
const metricsInterval = 1000;

export interface TaskMessage {
  method: string;
  args: unknown;
  /** Epoch ms. */
  deadline: number;
  [extra: string]: unknown;
}

/**
 * Runs one task; `signal` aborts when the pool abandons it (deadline or caller gone). `emit` sends
 * bytes ahead of the answer, in order, to the task's TaskOptions.onData (a copy is handed over:
 * the caller may reuse `bytes`).
 */
export type TaskHandler = (task: TaskMessage, signal: AbortSignal, emit: (bytes: Uint8Array) => void) => unknown;

/** This worker thread's channel to its pool. Make it once: each channel handles every message of the port. */
export function parentChannel(): RpcChannel {
  if (parentPort === null) throw new Error('BUG: parentChannel outside a worker thread');
  return new RpcChannel(parentPort);
}

/**
 * Makes this worker thread serve `run` for its pool, over `rpc` (its parentChannel(), made here
 * when not given). Call once, after the worker has loaded what its tasks need.
 */
export function serveTasks(run: TaskHandler, registry: Registry, rpc: RpcChannel = parentChannel()): RpcChannel {
  let current: AbortController | undefined;
  rpc.handle('cancel', () => current?.abort());
  // Metrics go back at most once a second: gathering them costs more than a small task.
  let metricsDue: NodeJS.Timeout | undefined;
  const sendMetrics = (): void => {
    metricsDue = undefined;
    void registry.getMetricsAsJSON().then((json) => rpc.notify('metrics', json));
  };
  const emit = (bytes: Uint8Array): void => {
    const own = new Uint8Array(bytes);
    rpc.notify(taskData, own, [own.buffer]);
  };
  rpc.handle('task', async (msg) => {
    const ac = new AbortController();
    current = ac;
    try {
      return await run(msg as TaskMessage, ac.signal, emit);
    } finally {
      current = undefined;
      metricsDue ??= setTimeout(sendMetrics, metricsInterval);
    }
  });
  sendMetrics();
  rpc.notify('ready', undefined);
  return rpc;
}
