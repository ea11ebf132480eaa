export { TaskCanceledError, TaskTimeoutError, WorkerExitError, WorkerPool } from './pool.js';
export type { TaskOptions, WorkerPoolConfig, WorkerPoolDeps } from './pool.js';
export { RemoteError, RpcChannel, transferring } from './rpc.js';
export type { Port } from './rpc.js';
export { parentChannel, serveTasks } from './serve.js';
export { TimeSlicer } from './time-slice.js';
