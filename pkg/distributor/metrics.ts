// The distributor's metrics, named as Cortex's with the myelin_ prefix.
import { Counter, type Registry } from 'prom-client';
import { discardedExemplarsCounter, discardedSamplesCounter } from '../limits/index.js';

export class DistributorMetrics {
  readonly requestsIn: Counter<'user'>;
  readonly samplesIn: Counter<'user'>;
  readonly exemplarsIn: Counter<'user'>;
  readonly receivedExemplars: Counter<'user'>;
  readonly metadataIn: Counter<'user'>;
  readonly receivedSamples: Counter<'user'>;
  readonly receivedMetadata: Counter<'user'>;
  readonly nonHaSamples: Counter<'user'>;
  readonly reducedResolutionHistograms: Counter<'user'>;
  readonly dedupedSamples: Counter<'user' | 'cluster'>;
  readonly discardedSamples: Counter<'reason' | 'user'>;
  readonly discardedMetadata: Counter<'reason' | 'user'>;
  readonly discardedExemplars: Counter<'reason' | 'user'>;
  readonly discardedRequests: Counter<'reason' | 'user'>;
  readonly ingesterAppends: Counter<'ingester' | 'type'>;
  readonly ingesterAppendFailures: Counter<'ingester' | 'type' | 'status'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const c = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers });
    this.requestsIn = c('myelin_distributor_requests_in_total', 'Push requests received, before validation.', ['user']);
    this.samplesIn = c('myelin_distributor_samples_in_total', 'Samples (float and native histogram) received, before validation and deduplication.', ['user']);
    this.metadataIn = c('myelin_distributor_metadata_in_total', 'Metadata received, before validation.', ['user']);
    this.exemplarsIn = c('myelin_distributor_exemplars_in_total', 'Exemplars received, before validation and deduplication.', ['user']);
    this.receivedExemplars = c('myelin_distributor_received_exemplars_total', 'Exemplars that passed validation and limits and were sent to the ingesters.', ['user']);
    this.receivedSamples = c('myelin_distributor_received_samples_total', 'Samples (float and native histogram) that passed validation and limits and were sent to the ingesters.', ['user']);
    this.receivedMetadata = c('myelin_distributor_received_metadata_total', 'Metadata that passed validation and limits and was sent to the ingesters.', ['user']);
    this.nonHaSamples = c('myelin_distributor_non_ha_samples_received_total', 'Samples of tenants with the HA tracker enabled that carried no cluster or replica label.', ['user']);
    this.reducedResolutionHistograms = c('myelin_reduced_resolution_histogram_samples_total', 'Native histogram samples whose resolution was reduced to fit -validation.max-native-histogram-buckets.', ['user']);
    this.dedupedSamples = c('myelin_distributor_deduped_samples_total', 'Samples dropped because they came from a non-elected HA replica.', ['user', 'cluster']);
    this.discardedSamples = discardedSamplesCounter(registry);
    this.discardedMetadata = c('myelin_discarded_metadata_total', 'Metadata discarded, by reason.', ['reason', 'user']);
    this.discardedExemplars = discardedExemplarsCounter(registry);
    this.discardedRequests = c('myelin_discarded_requests_total', 'Push requests discarded as a whole, by reason: rate_limited, bad_snappy, too_large, bad_protobuf, bad_symbol_reference, bad_gzip, bad_json.', ['reason', 'user']);
    this.ingesterAppends = c('myelin_distributor_ingester_appends_total', 'Push calls to ingesters.', ['ingester', 'type']);
    this.ingesterAppendFailures = c('myelin_distributor_ingester_append_failures_total', 'Failed push calls to ingesters, by gRPC status.', ['ingester', 'type', 'status']);
  }
}
