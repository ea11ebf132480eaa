// Helpers for tests and benchmarks in pkg/, integration/ and bench/: free ports, polling with a
// deadline, temp dirs, child processes (the myelin binary, etcd, Redis) stopped by their own PID.
export { freePort, portIsFree } from './port.js';
export { pollFor, waitUntil, type WaitOptions } from './poll.js';
export { tempDir } from './temp-dir.js';
export { TestProcess, type TestProcessOptions } from './process.js';
export { myelinBinary, startMyelinBinary } from './binary.js';
export { EtcdServer } from './etcd.js';
export { RedisServer } from './redis.js';
export { TcpProxy } from './tcp-proxy.js';
export { makeTestCerts, type TestCerts } from './certs.js';
