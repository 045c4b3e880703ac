/** The flight consumer: `flights` topic -> Redis flight hashes and arrival index. */
import { Gauge } from "prom-client";
import { BatchConsumer, deadLetterTopic } from "../consume/batch_consumer.ts";
import { createConsumerMetrics, FLIGHT_CONSUMER_METRICS } from "../consume/consumer_metrics.ts";
import { type Flight, parseFlight } from "../domain/flight.ts";
import { createFlightStore } from "./flight_store.ts";
import { ensureTopics } from "../infra/kafka.ts";
import type { ServiceContext } from "../infra/service.ts";
import { droppedIdsReporter } from "../consume/dropped_ids.ts";
import { requireWorkStateRestore } from "../scan/work_state_restore.ts";

/** Builds and starts the flight consumer. */
export async function startFlightConsumer({ config, logger, registry, kafka, redis }: ServiceContext) {
  const topic = config.topics.flights;
  await ensureTopics(kafka, config, [topic, deadLetterTopic(topic)]);
  const latestArrival = new Gauge({
    name: "latest_consumed_flight_arrival_timestamp",
    help: "Arrival time (Unix seconds) of the latest flight stored",
    registers: [registry],
  });
  const metrics = createConsumerMetrics(registry, FLIGHT_CONSUMER_METRICS);
  const reportDropped = droppedIdsReporter(topic, metrics, logger);
  // From 0, so that the first drop is an increase Prometheus can see.
  metrics.duplicateIdsDropped.inc({ topic }, 0);
  const consumer = new BatchConsumer<Flight>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.consumer.upsertBatchSize,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    // A bag listed twice is dropped (counted and logged once per message); the rest of the flight is applied.
    parse: (message) => parseFlight(message.value, config.limits, Date.now() / 1000, reportDropped(message)),
    ...await createFlightStore(redis, topic),
    metrics,
    logger,
    onResync: () => requireWorkStateRestore(redis),
    onStored: (records) => {
      const last = records[records.length - 1];
      if (last) latestArrival.set(last.record.arrival_time);
    },
  });
  await consumer.start();
  return consumer;
}
