// A query-frontend worker thread's entry point: merges the answers of split queries off the main
// thread (pkg/workers serveTasks).
import { Registry } from 'prom-client';
import { serveTasks, transferring } from '../workers/index.js';
import { mergeMatrixBodies } from './merge.js';

const encoder = new TextEncoder();

serveTasks((task) => {
  const body = encoder.encode(mergeMatrixBodies(task.args as Uint8Array[]));
  return transferring(body, [body.buffer]);
}, new Registry());
