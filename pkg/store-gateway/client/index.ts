export { StoreGatewayClientPool, type ClientPoolOptions, type LabelsResult, type SeriesResult, type StoreGatewayClients } from './client.js';
