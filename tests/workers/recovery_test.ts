import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { freshRedis, isolatedEnvironment, produce, testKafka } from "../_helpers/fixtures.ts";
import { startConsumers } from "../_helpers/pipeline.ts";
import { startWorker, waitUntilStarted } from "../_helpers/processes.ts";
import { appliedMessages, snapshot } from "../_helpers/redis_state.ts";

const T = Math.floor(Date.now() / 1000);
const byId = (value: unknown) => (value as { id: string }).id;

/** Bags with itineraries, including updates of earlier bags, so the order of application matters. */
function bagMessages(count: number) {
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ id: `BAG_${i}`, flights: [`FL_${i % 50}`] });
  for (let i = 0; i < count; i += 3) messages.push({ id: `BAG_${i}`, flights: [`FL_${i % 50}`, `FL_${(i + 1) % 50}`] });
  return messages;
}

function expectedBagState(messages: { id: string; flights: string[] }[]) {
  const state: Record<string, unknown> = {};
  for (const message of messages) state[`bag:id:${message.id}`] = { flights: JSON.stringify(message.flights) };
  state["bag:count"] = String(new Set(messages.map((message) => message.id)).size);
  return state;
}

Deno.test({
  name: "bag consumer SIGKILLed mid-stream and restarted leaves Redis exactly as an uninterrupted run",
  async fn() {
    const env = isolatedEnvironment("bag-consumer", {
      UPSERT_BATCH_SIZE: "200",
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      LOG_LEVEL: "info",
    });
    const config = loadConfig("bag-consumer", env);
    const redis = await freshRedis(config);
    const messages = bagMessages(30_000);
    try {
      await produce(testKafka(config), config.topics.bags, messages, byId);
      for (let kill = 1; kill <= 2; kill++) {
        const worker = startWorker("workers/bag_consumer.ts", env);
        const target = kill * 10_000;
        await waitFor(
          async () => await appliedMessages(redis, config.topics.bags) >= target,
          60_000,
          () => worker.output(),
        );
        assert.equal(await worker.kill("SIGKILL"), null);
      }
      const worker = startWorker("workers/bag_consumer.ts", env);
      await waitFor(
        async () => await appliedMessages(redis, config.topics.bags) === messages.length,
        60_000,
        () => worker.output(),
      );
      await waitUntilStarted(worker, "bag-consumer");
      assert.equal(await worker.kill("SIGTERM"), 0, "SIGTERM is a graceful stop with exit code 0");
      assert.deepEqual(await snapshot(redis, "bag:*"), expectedBagState(messages));
    } finally {
      await redis.quit();
    }
  },
});

Deno.test("consumers notice a Redis that lost its data (FLUSHDB) and rebuild it from Kafka", async () => {
  const env = isolatedEnvironment("flight-consumer");
  const config = loadConfig("flight-consumer", env);
  const redis = await freshRedis(config);
  const consumers = await startConsumers(config);
  try {
    const flights = Array.from(
      { length: 40 },
      (_, i) => ({ id: `FL_${i}`, departure_time: T + i, arrival_time: T + 3600 + i, bags: [`BAG_${i}`] }),
    );
    const bags = flights.map((flight, i) => ({ id: `BAG_${i}`, flights: [flight.id] }));
    await produce(testKafka(config), config.topics.flights, flights, byId);
    await produce(testKafka(config), config.topics.bags, bags, byId);
    await waitFor(
      async () =>
        await appliedMessages(redis, config.topics.flights) === 40 &&
        await appliedMessages(redis, config.topics.bags) === 40,
      20_000,
    );
    const before = await snapshot(redis, "[fb]*");

    await redis.flushdb();
    await waitFor(
      async () =>
        await appliedMessages(redis, config.topics.flights) === 40 &&
        await appliedMessages(redis, config.topics.bags) === 40,
      30_000,
    );
    assert.deepEqual(await snapshot(redis, "[fb]*"), before);
  } finally {
    await consumers.close();
    await redis.quit();
  }
});
