/** Metrics of the test producer. */
import { Counter, Gauge, type Registry } from "prom-client";

export type ProducerMetrics = ReturnType<typeof createProducerMetrics>;

/** Registers the test producer's metrics on `registry`, with the per-topic series of `topics` at 0. */
export function createProducerMetrics(registry: Registry, topics: readonly string[]) {
  const registers = [registry];
  const metrics = {
    flights: new Counter({
      name: "produced_test_flights_total",
      help: "Flight messages the test producer published (acknowledged by Kafka)",
      registers,
    }),
    bags: new Counter({
      name: "produced_test_bags_total",
      help: "Bag messages the test producer published (acknowledged by Kafka)",
      registers,
    }),
    latestArrival: new Gauge({
      name: "latest_produced_flight_arrival_timestamp",
      help: "Arrival time (Unix seconds) of the latest flight published",
      registers,
    }),
    messages: new Counter({
      name: "produced_messages_total",
      help: "Messages the test producer published, by topic",
      labelNames: ["topic"],
      registers,
    }),
    sendErrors: new Counter({
      name: "producer_send_errors_total",
      help: "Sends that failed and were retried, by topic",
      labelNames: ["topic"],
      registers,
    }),
  };
  for (const topic of topics) {
    metrics.messages.inc({ topic }, 0);
    metrics.sendErrors.inc({ topic }, 0);
  }
  return metrics;
}
