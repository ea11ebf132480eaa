export { ClientPool, type PoolClient, type PoolConfig, type PoolDeps } from './pool.js';
