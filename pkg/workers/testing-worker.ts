// A worker for pool tests: its tasks sleep, spin, allocate without bound, fail, count or emit parts.
import { Counter, Registry } from 'prom-client';
import { serveTasks } from './serve.js';

const registry = new Registry();
const done = new Counter({ name: 'test_tasks_done_total', help: 'Tasks this worker finished.', registers: [registry] });

serveTasks(async (task, signal, emit) => {
  const args = task.args as { ms?: number; value?: unknown; parts?: number };
  switch (task.method) {
    case 'parts':
      for (let i = 0; i < (args.parts ?? 0); i++) emit(new Uint8Array([i, i, i]));
      return 'sent';
    case 'echo':
      done.inc();
      return { value: args.value, deadline: task.deadline };
    case 'sleep':
      // Cooperative: stops when the pool cancels.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, args.ms);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      done.inc();
      return signal.aborted ? 'canceled' : 'slept';
    case 'spin':
      for (;;) { /* never yields: only terminate() stops it */ }
    case 'hog': {
      const keep: unknown[] = [];
      for (;;) keep.push(new Array(1 << 16).fill({ x: keep.length }));
    }
    case 'fail':
      throw Object.assign(new Error('task failed on purpose'), { code: 'PURPOSE' });
  }
  throw new Error(`unknown method ${task.method}`);
}, registry);
