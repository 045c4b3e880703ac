/** The flight consumer: `flights` topic -> Redis flight hashes and arrival index. */
import { Gauge } from "prom-client";
import { BatchConsumer, deadLetterTopic } from "./batch_consumer.ts";
import { createConsumerMetrics, FLIGHT_CONSUMER_METRICS } from "./consumer_metrics.ts";
import { type Flight, parseFlight } from "./domain/flight.ts";
import { createFlightStore } from "./flight_store.ts";
import { ensureTopics } from "./kafka.ts";
import type { ServiceContext } from "./service.ts";

/** Builds and starts the flight consumer. */
export async function startFlightConsumer({ config, logger, registry, kafka, redis }: ServiceContext) {
  const topic = config.topics.flights;
  await ensureTopics(kafka, config, [topic, deadLetterTopic(topic)]);
  const latestArrival = new Gauge({
    name: "latest_consumed_flight_arrival_timestamp",
    help: "Arrival time (Unix seconds) of the latest flight stored",
    registers: [registry],
  });
  const consumer = new BatchConsumer<Flight>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.consumer.upsertBatchSize,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    parse: (message) => parseFlight(message.value, config.limits, Date.now() / 1000),
    ...await createFlightStore(redis, topic),
    metrics: createConsumerMetrics(registry, FLIGHT_CONSUMER_METRICS),
    logger,
    onStored: (records) => {
      const last = records[records.length - 1];
      if (last) latestArrival.set(last.record.arrival_time);
    },
  });
  await consumer.start();
  return consumer;
}
