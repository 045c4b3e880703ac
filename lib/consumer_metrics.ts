/** Metrics of the flight and bag consumers, named after the entity (`flight` or `bag`). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** Registers the consumer metrics for `entity` on `registry`. */
export function createConsumerMetrics(registry: Registry, entity: "flight" | "bag") {
  const registers = [registry];
  return {
    processed: new Counter({
      name: `processed_${entity}s_total`,
      help: `${entity} messages applied to Redis`,
      registers,
    }),
    storeSeconds: new Histogram({
      name: `${entity}_processing_seconds`,
      help: `Time to upsert one batch of ${entity}s into Redis (one Lua call)`,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchSize: new Histogram({
      name: `${entity}_upsert_batch_size`,
      help: `Valid ${entity} messages per Lua upsert call`,
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
      name: "redis_state_resyncs_total",
      help: "Times a partition was replayed from the start because Redis had lost its data",
      labelNames: ["topic"],
      registers,
    }),
  };
}
