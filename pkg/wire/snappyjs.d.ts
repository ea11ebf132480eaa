// Types for snappyjs (the package ships none). Only what pkg/wire calls.
declare module 'snappyjs' {
  /** Decodes the snappy block format; throws when the decoded length would exceed maxLength. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  export function compress(uncompressed: Buffer): Buffer;
}
