/** The bag consumer: `bags` topic -> Redis bag hashes. */
import { BatchConsumer, deadLetterTopic } from "../consume/batch_consumer.ts";
import { createBagStore } from "./bag_store.ts";
import { BAG_CONSUMER_METRICS, createConsumerMetrics } from "../consume/consumer_metrics.ts";
import { type Bag, parseBag } from "../domain/bag.ts";
import { ensureTopics } from "../infra/kafka.ts";
import type { ServiceContext } from "../infra/service.ts";
import { droppedIdsReporter } from "../consume/dropped_ids.ts";
import { requireWorkStateRestore } from "../scan/work_state_restore.ts";

/** Builds and starts the bag consumer. */
export async function startBagConsumer({ config, logger, registry, kafka, redis }: ServiceContext) {
  const topic = config.topics.bags;
  await ensureTopics(kafka, config, [topic, deadLetterTopic(topic)]);
  const metrics = createConsumerMetrics(registry, BAG_CONSUMER_METRICS);
  const reportDropped = droppedIdsReporter(topic, metrics, logger);
  // From 0, so that the first drop is an increase Prometheus can see.
  metrics.duplicateIdsDropped.inc({ topic }, 0);
  const consumer = new BatchConsumer<Bag>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.consumer.upsertBatchSize,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    // A flight listed twice in a row is dropped (counted and logged once per message); twice apart is ambiguous
    // and dead-lettered by parseBag.
    parse: (message) => parseBag(message.value, config.limits, reportDropped(message)),
    ...await createBagStore(redis, topic),
    metrics,
    logger,
    onResync: () => requireWorkStateRestore(redis),
  });
  await consumer.start();
  return consumer;
}
