export { clientTlsFields, clientTlsOn, grpcClientCredentials, validateClientTls } from './client.js';
