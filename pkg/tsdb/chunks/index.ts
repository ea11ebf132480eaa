export {
  DEFAULT_SEGMENT_SIZE,
  SEGMENT_HEADER_SIZE,
  chunkRef,
  chunkRefOffset,
  chunkRefSeq,
  segmentName,
} from './segment-format.js';
export { SegmentReader, type SegmentChunk } from './segment-reader.js';
export { SegmentWriter } from './segment-writer.js';
