export { WireError, WireErrorCode } from './errors.js';
export { snappyDecode, snappyDecodedLength, snappyEncode } from './snappy.js';
export { WriteRequestDecoder, type MetadataEntry } from './write-request-decoder.js';
export { RequestAssembler, replaceSeriesHistograms, rewriteSeriesLabels, withoutSeriesFields } from './write-request-encoder.js';
export { labelsFromWire, labelsToWire, matchersFromWire, matchersToWire } from './prom-labels.js';
export { QueryStreamReader, QueryStreamWriter, type WireChunkSeries } from './query-stream.js';
export { countStoredSeries, fetchLimitsFromWire, fetchLimitsToWire } from './fetch-limits.js';
export { decodeHistogram, type HistogramSample } from './histogram-decoder.js';
export { histogramToWire } from './prom-histogram.js';
