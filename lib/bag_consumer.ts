/** The bag consumer: `bags` topic -> Redis bag hashes. */
import { BatchConsumer, deadLetterTopic } from "./batch_consumer.ts";
import { createBagStore } from "./bag_store.ts";
import { BAG_CONSUMER_METRICS, createConsumerMetrics } from "./consumer_metrics.ts";
import { type Bag, parseBag } from "./domain/bag.ts";
import { ensureTopics } from "./kafka.ts";
import type { ServiceContext } from "./service.ts";

/** Builds and starts the bag consumer. */
export async function startBagConsumer({ config, logger, registry, kafka, redis }: ServiceContext) {
  const topic = config.topics.bags;
  await ensureTopics(kafka, config, [topic, deadLetterTopic(topic)]);
  const consumer = new BatchConsumer<Bag>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.consumer.upsertBatchSize,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    parse: (message) => parseBag(message.value, config.limits),
    ...await createBagStore(redis, topic),
    metrics: createConsumerMetrics(registry, BAG_CONSUMER_METRICS),
    logger,
  });
  await consumer.start();
  return consumer;
}
