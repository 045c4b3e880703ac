import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { freshRedis, isolatedEnvironment, metricValue, produce, testKafka } from "../../_helpers/fixtures.ts";
import { startConsumers } from "../../_helpers/pipeline.ts";
import { appliedMessages } from "../../_helpers/redis_state.ts";

const byId = (value: unknown) => (value as { id: string }).id;

Deno.test("a replay after Redis lost its data starts at the log start Kafka's retention has moved, and ends", async () => {
  const config = loadConfig("bag-consumer", isolatedEnvironment("bag-consumer"));
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const topic = config.topics.bags;
  const consumers = await startConsumers(config);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await produce(kafka, topic, Array.from({ length: 600 }, (_, i) => ({ id: `BAG_${i}`, flights: [] })), byId);
    await waitFor(async () => await appliedMessages(redis, topic) === 600, 30_000);
    // Retention deletes the first 50 messages of every partition (as log.retention would, by age).
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({
      topic,
      partitions: offsets.map(({ partition }) => ({ partition, offset: "50" })),
    });
    const remaining = offsets.reduce((sum, { high }) => sum + Number(high) - 50, 0);

    await redis.flushdb();
    await waitFor(
      async () => Number(await redis.get("bag:count")) === remaining,
      30_000,
      () => "the replay did not end",
    );
    const recorded = await redis.hgetall(`offsets:${topic}`);
    assert.deepEqual(
      recorded,
      Object.fromEntries(offsets.map(({ partition, high }) => [String(partition), String(Number(high) - 1)])),
    );
    const resyncs = await metricValue(consumers.bagRegistry, "redis_state_resyncs_total", {
      topic,
      reason: "state_lost",
    });
    assert.ok(resyncs >= offsets.length && resyncs <= 2 * offsets.length, `${resyncs} replays, not a loop`);
  } finally {
    await admin.disconnect();
    await consumers.close();
    await redis.quit();
  }
});
