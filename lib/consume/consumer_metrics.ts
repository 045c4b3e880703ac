/** Metrics of a BatchConsumer (flight consumer, bag consumer, bridge). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** The names of the metrics that differ per consumer (the original system's names where it had them). */
export interface ConsumerMetricNames {
  /** What one message is, for help texts ("flight", "bag", "work message"). */
  readonly noun: string;
  readonly processed: string;
  readonly storeSeconds: string;
  readonly batchSize: string;
  /** Where the messages are applied: "Redis" unless given. */
  readonly store?: string;
  /** The resync counter's name: redis_state_resyncs_total unless given. */
  readonly stateResyncs?: string;
}

export const FLIGHT_CONSUMER_METRICS: ConsumerMetricNames = {
  noun: "flight",
  processed: "processed_flights_total",
  storeSeconds: "flight_processing_seconds",
  batchSize: "flight_upsert_batch_size",
};

export const ARCHIVER_METRICS: ConsumerMetricNames = {
  noun: "archived",
  processed: "archived_messages_total",
  storeSeconds: "archive_store_seconds",
  batchSize: "archive_batch_size",
  store: "PostgreSQL",
  stateResyncs: "archive_state_resyncs_total",
};

export const BAG_CONSUMER_METRICS: ConsumerMetricNames = {
  noun: "bag",
  processed: "processed_bags_total",
  storeSeconds: "bag_processing_seconds",
  batchSize: "bag_upsert_batch_size",
};

export const BAGGAGE_MESSAGE_CONSUMER_METRICS: ConsumerMetricNames = {
  noun: "baggage message",
  processed: "processed_baggage_messages_total",
  storeSeconds: "baggage_message_processing_seconds",
  batchSize: "baggage_message_batch_size",
};

/** Registers a consumer's metrics on `registry`. */
export function createConsumerMetrics(registry: Registry, names: ConsumerMetricNames) {
  const registers = [registry];
  const entity = names.noun;
  const store = names.store ?? "Redis";
  return {
    processed: new Counter({
      name: names.processed,
      help: `${entity} messages applied to ${store}`,
      registers,
    }),
    storeSeconds: new Histogram({
      name: names.storeSeconds,
      help: `Time to apply one chunk of ${entity} messages to ${store} (one call)`,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchSize: new Histogram({
      name: names.batchSize,
      help: `Valid ${entity} messages per call to ${store}`,
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    invalid: new Counter({
      name: "invalid_messages_total",
      help: "Messages that failed validation and went to the dead-letter topic",
      labelNames: ["topic"],
      registers,
    }),
    lag: new Gauge({
      name: "consumer_lag_messages",
      help: "Messages behind the partition's high watermark at the last fetched batch",
      labelNames: ["topic", "partition"],
      registers,
    }),
    stateResyncs: new Counter({
      name: names.stateResyncs ?? "redis_state_resyncs_total",
      help:
        `Times a partition was replayed because ${store} had lost its data (state_lost) or gone back in time (rollback)`,
      labelNames: ["topic", "reason"],
      registers,
    }),
    duplicateIdsDropped: new Counter({
      name: "duplicate_ids_dropped_total",
      help: "Ids dropped because a message listed them twice (the rest of the message is applied)",
      labelNames: ["topic"],
      registers,
    }),
  };
}
