export { BitReader, BitWriter } from './bstream.js';
export { StaleNaN, StaleNaNHi, StaleNaNLo, isStaleNaN, sameBits } from './float-bits.js';
export { Encoding, XorChunk, XorHeaderBytes, XorIterator, XorMaxSamples, xorNumSamples } from './xor.js';
