export { WireError, WireErrorCode } from './errors.js';
export { snappyDecode, snappyDecodedLength, snappyEncode } from './snappy.js';
export { WriteRequestDecoder, type MetadataEntry } from './write-request-decoder.js';
export { WriteV2Decoder } from './write-v2-decoder.js';
export type { DecodedWrite, WirePieces } from './decoded-write.js';
export { RequestAssembler, rewriteSeriesLabels } from './write-request-encoder.js';
export { labelsFromWire, labelsToWire, matchersFromWire, matchersToWire } from './prom-labels.js';
export { QueryStreamReader, QueryStreamWriter, type WireChunkSeries } from './query-stream.js';
export { countStoredSeries, fetchLimitsFromWire, fetchLimitsToWire } from './fetch-limits.js';
