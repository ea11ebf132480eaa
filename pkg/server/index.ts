export { Server } from './server.js';
export type { ServerDeps } from './server.js';
export { serverConfig } from './config.js';
export type { ServerConfig } from './config.js';
export type { GrpcServiceOptions } from './grpc-instrument.js';
export { escapeHtml, htmlPage } from './html.js';
export { failStream } from './stream-error.js';
export { InProcessGrpcClients, InProcessGrpcServer } from './in-process-grpc.js';
