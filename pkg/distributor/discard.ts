// Why samples, exemplars and metadata are discarded: the stable `reason` label values of
// myelin_discarded_samples_total, myelin_discarded_exemplars_total and
// myelin_discarded_metadata_total (Cortex util/validation; the last two exemplar reasons are Mimir's).

export const DiscardReason = {
  MissingMetricName: 'missing_metric_name',
  InvalidMetricName: 'metric_name_invalid',
  InvalidLabel: 'label_invalid',
  LabelNameTooLong: 'label_name_too_long',
  LabelValueTooLong: 'label_value_too_long',
  MaxLabelNamesPerSeries: 'max_label_names_per_series',
  DuplicateLabelNames: 'duplicate_label_names',
  LabelsNotSorted: 'labels_not_sorted',
  TooOld: 'greater_than_max_sample_age',
  TooFarInFuture: 'too_far_in_future',
  RateLimited: 'rate_limited',
  TooManyHaClusters: 'too_many_ha_clusters',
  // Native histograms: the tenant's switch is off, a malformed histogram, too many buckets.
  NativeHistogramsDisabled: 'native_histograms_disabled',
  InvalidNativeHistogram: 'invalid_native_histogram',
  NativeHistogramBucketsExceeded: 'native_histogram_buckets_exceeded',
  // OTLP data points that have no Prometheus form (delta temporality, a name of no valid character).
  OtlpUntranslatable: 'otlp_untranslatable',
  // Exemplars only: the exemplar is dropped, its series kept.
  ExemplarLabelsMissing: 'exemplar_labels_missing',
  ExemplarTimestampInvalid: 'exemplar_timestamp_invalid',
  ExemplarLabelsBlank: 'exemplar_labels_blank',
  ExemplarLabelsTooLong: 'exemplar_labels_too_long',
  ExemplarTooOld: 'exemplar_too_old',
  // Metadata only.
  MetadataMissingMetricName: 'missing_metric_name',
  MetadataMetricNameTooLong: 'metric_name_too_long',
  MetadataHelpTooLong: 'help_too_long',
  MetadataUnitTooLong: 'unit_too_long',
} as const;
export type DiscardReason = (typeof DiscardReason)[keyof typeof DiscardReason];

/** A push rejected (wholly or partly) for a reason the client must not retry: HTTP 400. */
export class ValidationError extends Error {
  readonly reason: DiscardReason;
  constructor(reason: DiscardReason, message: string) {
    super(message);
    this.name = 'ValidationError';
    this.reason = reason;
  }
}
