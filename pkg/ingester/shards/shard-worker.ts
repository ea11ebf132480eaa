// The entry point of an ingester shard worker thread (see IngesterShards).
import { parentPort, workerData } from 'node:worker_threads';
import { runShard } from './shard.js';
import type { ShardData } from './shard.js';

if (parentPort === null) throw new Error('BUG: shard-worker.js runs only as a worker thread');
// A start that fails is thrown out of the thread: the main thread's 'error' event carries the cause.
runShard(workerData as ShardData, parentPort).catch((err: unknown) => setImmediate(() => { throw err; }));
