/** Metrics of the Redis Streams bridge. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ConsumerMetricNames } from "../consume/consumer_metrics.ts";

export const BRIDGE_CONSUMER_METRICS: ConsumerMetricNames = {
  noun: "work message",
  processed: "bridge_work_messages_total",
  storeSeconds: "bridge_append_seconds",
  batchSize: "bridge_batch_size",
};

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;

/** Registers the bridge's own metrics on `registry` (its consumer metrics come from createConsumerMetrics). */
export function createBridgeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    mirrored: new Counter({
      name: "bridge_entries_mirrored_total",
      help: "Stream entries appended (one per bag of each work message)",
      registers,
    }),
    duplicates: new Counter({
      name: "bridge_duplicates_skipped_total",
      help: "Entries not appended because their flight and revision were already mirrored",
      registers,
    }),
    streamLength: new Gauge({
      name: "work_stream_length",
      help: "Entries in the work stream after the last append",
      registers,
    }),
    scanToStream: new Histogram({
      name: "bridge_scan_to_stream_seconds",
      help: "Time from a work message's scanned_at to its entries' append to the stream",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
  };
}
