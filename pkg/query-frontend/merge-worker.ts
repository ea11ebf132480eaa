// A query-frontend worker thread's entry point: merges range query answers off the main thread
// (pkg/workers serveTasks). `merge` joins the parts of a split query; `assemble` answers a part
// from a cached extent and the gaps fetched around it, and writes the part's new extent;
// `shard-plan` rewrites a query into shard queries, `shard-eval` answers it from theirs.
import { Registry } from 'prom-client';
import { serveTasks, transferring } from '../workers/index.js';
import { encodeExtent } from './extent.js';
import { MergedMatrix } from './merge.js';
import type { AssembleTask, AssembledPart, ShardPlanTask } from './merge-pool.js';
import { evaluateSharded, ShardedCustomBucketsError } from './shard-eval.js';
import type { ShardEvalTask } from './shard-eval.js';
import { planQuery } from './shard-rewrite.js';

const encoder = new TextEncoder();

serveTasks((task, signal) => {
  if (task.method === 'shard-plan') {
    const a = task.args as ShardPlanTask;
    return planQuery(a.query, a.totalShards, a.maxShardedQueries) ?? null;
  }
  if (task.method === 'shard-eval') {
    return evaluateSharded(task.args as ShardEvalTask, task.deadline, signal).then(encodeSharded, (err: unknown) => {
      if (err instanceof ShardedCustomBucketsError) return null;
      throw err;
    });
  }
  if (task.method === 'merge') {
    const body = encoder.encode(new MergedMatrix(task.args as Uint8Array[]).render());
    return transferring(body, [body.buffer]);
  }
  const a = task.args as AssembleTask;
  const merged = new MergedMatrix(a.bodies);
  const answer = encoder.encode(merged.render(a.from, a.to));
  // An answer with warnings (a limit cut it, data missing) is not kept for later requests.
  const extent = a.extent === undefined || merged.warnings.size > 0 ? undefined
    : encodeExtent(a.extent.from, a.extent.to, encoder.encode(merged.render(a.extent.from, a.extent.to)));
  const out: AssembledPart = { answer, extent };
  return transferring(out, extent === undefined ? [answer.buffer] : [answer.buffer, extent.buffer as ArrayBuffer]);
}, new Registry());

/** The sharded answer's body, handed over. */
function encodeSharded(body: string): unknown {
  const bytes = encoder.encode(body);
  return transferring(bytes, [bytes.buffer]);
}
