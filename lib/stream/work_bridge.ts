/** The bridge: mirrors `arriving_flight_work` into the Redis Stream WORK_STREAM, exactly once. */
import { BatchConsumer } from "../consume/batch_consumer.ts";
import { BRIDGE_CONSUMER_METRICS, createBridgeMetrics } from "./bridge_metrics.ts";
import { createConsumerMetrics } from "../consume/consumer_metrics.ts";
import { type FlightWork, parseFlightWork } from "../domain/work.ts";
import { ensureWorkTopics } from "../infra/kafka.ts";
import type { ServiceContext } from "../infra/service.ts";
import type { RedisClient } from "../infra/redis.ts";
import { requireWorkStateRestore } from "../scan/work_state_restore.ts";
import { createWorkStreamStore } from "./work_stream_store.ts";

/** Builds and starts the bridge. */
export async function startBridge(
  { config, logger, registry, kafka, redis, clock }: ServiceContext<"kafka" | "redis", RedisClient>,
) {
  const topic = config.topics.work;
  await ensureWorkTopics(kafka, config);
  const metrics = createBridgeMetrics(registry);
  const stream = config.stream.key;
  // The scanner publishes no flight that arrived more than DATA_RETENTION_SECONDS ago: its revision can go.
  const trim = { ...config.stream, revisionRetentionSeconds: config.scan.dataRetentionSeconds };
  const streamStore = await createWorkStreamStore(redis, topic, stream, trim, clock, (counts, records) => {
    metrics.mirrored.inc(counts.appended);
    metrics.duplicates.inc(counts.duplicates);
    const nowSeconds = clock();
    for (const work of records) metrics.scanToStream.observe(Math.max(0, nowSeconds - work.scanned_at));
  });
  const consumer = new BatchConsumer<FlightWork>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: config.stream.batchMessages,
    partitionsConcurrently: config.consumer.partitionsConcurrently,
    parse: (message) => parseFlightWork(message.value, config.limits),
    ...streamStore,
    metrics: createConsumerMetrics(registry, BRIDGE_CONSUMER_METRICS),
    logger,
    onResync: () => requireWorkStateRestore(redis),
    onStored: () => void redis.xlen(stream).then((length) => metrics.streamLength.set(length)).catch(() => {}),
  });
  await consumer.start();
  return consumer;
}
