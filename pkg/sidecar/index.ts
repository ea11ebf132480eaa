export { Shipper, type ShipperConfig } from './shipper.js';
export { checkPrometheusBlockDurations } from './prometheus-flags.js';
