/**
 * Why the head refused a sample. Codes are stable (they become `reason` labels and API errors);
 * the messages are Prometheus' (storage.ErrOutOfOrderSample etc.) so that clients that match on
 * them keep working.
 */
export const AppendErrorCode = {
  OutOfOrderSample: 'out_of_order_sample',
  DuplicateSampleForTimestamp: 'duplicate_sample_for_timestamp',
  OutOfBounds: 'out_of_bounds',
  /** Older than the out-of-order window allows (Prometheus ErrTooOldSample), only with a window. */
  TooOldSample: 'too_old_sample',
  EmptyLabelset: 'empty_labelset',
  InvalidHistogram: 'invalid_native_histogram',
  OutOfOrderExemplar: 'out_of_order_exemplar',
  ExemplarLabelsTooLong: 'exemplar_labels_too_long',
  ExemplarMissingSeries: 'exemplar_missing_series',
} as const;
export type AppendErrorCode = (typeof AppendErrorCode)[keyof typeof AppendErrorCode];

const messages: Record<string, string> = {
  [AppendErrorCode.OutOfOrderSample]: 'out of order sample',
  [AppendErrorCode.DuplicateSampleForTimestamp]: 'duplicate sample for timestamp',
  [AppendErrorCode.OutOfBounds]: 'out of bounds',
  [AppendErrorCode.TooOldSample]: 'too old sample',
  [AppendErrorCode.EmptyLabelset]: 'empty labelset',
  [AppendErrorCode.InvalidHistogram]: 'invalid native histogram',
  [AppendErrorCode.OutOfOrderExemplar]: 'out of order exemplar',
  [AppendErrorCode.ExemplarLabelsTooLong]: 'label length for exemplar exceeds maximum of 128 UTF-8 characters',
  [AppendErrorCode.ExemplarMissingSeries]: 'exemplar for a series with no samples in the head',
};

/**
 * A sample or series the head refused; the batch stays usable (other samples may be appended and
 * committed). `code` is one of AppendErrorCode, or the reason a series-limit hook returned.
 */
export class AppendError extends Error {
  readonly code: string;

  constructor(code: string, detail = '') {
    const base = messages[code] ?? `series refused: ${code}`;
    super(detail === '' ? base : `${base}: ${detail}`);
    this.name = 'AppendError';
    this.code = code;
  }
}
