export { PortRpc, RemoteError } from './port-rpc.js';
export type { PortLike, RpcHandler } from './port-rpc.js';
