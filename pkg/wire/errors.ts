// Errors of the wire codecs. `code` is stable: the distributor maps it to an HTTP status.

export const WireErrorCode = {
  /** The body is not a snappy block (bad header or bitstream). */
  BadSnappy: 'bad_snappy',
  /** The snappy header announces more bytes than the configured maximum. */
  TooLarge: 'too_large',
  /** The protobuf is truncated, has a wrong wire type or an impossible length. */
  BadProtobuf: 'bad_protobuf',
  /** A remote write 2.0 request refers to a symbol it does not have, or has malformed references. */
  BadSymbolReference: 'bad_symbol_reference',
  /** An OTLP body whose gzip stream is broken. */
  BadGzip: 'bad_gzip',
  /** An OTLP JSON body that is not JSON, or not an ExportMetricsServiceRequest. */
  BadJson: 'bad_json',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = 'WireError';
    this.code = code;
  }
}
