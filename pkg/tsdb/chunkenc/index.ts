export { BitReader, BitWriter } from './bstream.js';
export { StaleNaN, StaleNaNHi, StaleNaNLo, f64, isStaleNaN, sameBits, u32 } from './float-bits.js';
export { Encoding, XorChunk, XorHeaderBytes, XorIterator, XorMaxSamples, xorNumSamples } from './xor.js';
export { HistogramChunk, HistogramIterator } from './histogram.js';
export { FloatHistogramChunk, FloatHistogramIterator } from './float-histogram.js';
export type { CutReason, HistogramAppendResult } from './histogram-append.js';
export type { HistogramChunkBase } from './histogram-base.js';
export { CounterResetHeader, HistogramHeaderBytes, HistogramMaxSamples, counterResetHeaderOf, histogramNumSamples, setCounterResetHeader } from './histogram-layout.js';
export { EncodedChunkIterator } from './encoded-chunk-iterator.js';
