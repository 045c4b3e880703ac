/**
 * What the flight and bag consumers share: a BatchConsumer of one input topic into Redis, with its
 * dead-letter topic, metrics, the report of repeated ids dropped, and a restore of the scanner's
 * revisions whenever Redis is found behind.
 */
import type { KafkaMessage } from "kafkajs";
import { BatchConsumer, deadLetterTopic, type Parsed } from "../consume/batch_consumer.ts";
import { type ConsumerMetricNames, createConsumerMetrics } from "../consume/consumer_metrics.ts";
import { droppedIdsReporter } from "../consume/dropped_ids.ts";
import type { PartitionStore } from "../consume/partition_store.ts";
import { ensureTopics } from "../infra/kafka.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { ServiceContext } from "../infra/service.ts";
import { requireWorkStateRestore } from "../scan/work_state_restore.ts";

/** Reports ids a parser dropped from a message: `field` and the dropped ids. */
export type DroppedIds = (field: string, dropped: readonly string[]) => void;

/** How one input topic is parsed and stored. */
export interface InputConsumerSpec<T> {
  readonly topic: string;
  readonly metricNames: ConsumerMetricNames;
  readonly parse: (message: KafkaMessage, reportDropped: DroppedIds) => T;
  readonly store: PartitionStore<T>;
  readonly onStored?: (records: readonly Parsed<T>[]) => void;
}

/** Builds and starts the consumer of `spec.topic`. */
export async function startInputConsumer<T>(
  { config, logger, registry, kafka, redis }: ServiceContext<"kafka" | "redis", RedisClient>,
  spec: InputConsumerSpec<T>,
): Promise<BatchConsumer<T>> {
  const { topic } = spec;
  await ensureTopics(kafka, config, [topic, deadLetterTopic(topic)]);
  const metrics = createConsumerMetrics(registry, spec.metricNames);
  const reportDropped = droppedIdsReporter(topic, metrics, logger);
  // From 0, so that the first drop is an increase Prometheus can see.
  metrics.duplicateIdsDropped.inc({ topic }, 0);
  const consumer = new BatchConsumer<T>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.consumer.upsertBatchSize,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    parse: (message) => spec.parse(message, reportDropped(message)),
    ...spec.store,
    metrics,
    logger,
    onResync: () => requireWorkStateRestore(redis),
    ...(spec.onStored ? { onStored: spec.onStored } : {}),
  });
  await consumer.start();
  return consumer;
}
