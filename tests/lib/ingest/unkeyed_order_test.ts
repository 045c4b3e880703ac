import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { createTopic, freshRedis, isolatedEnvironment, testKafka } from "../../_helpers/fixtures.ts";
import { startConsumers } from "../../_helpers/pipeline.ts";
import { appliedMessages, snapshot } from "../../_helpers/redis_state.ts";

const T = Math.floor(Date.now() / 1000);

Deno.test("consumers keep the newest of a flight's and a bag's messages sent without a key, whatever partition each is on, and a replay ends the same", async () => {
  const config = loadConfig("bag-consumer", isolatedEnvironment("bag-consumer"));
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  const producer = kafka.producer();
  await producer.connect();
  // No key, as the original system's producers send them; the newer update lands first, on partition 1.
  const send = async (partition: number, timestamp: number, flightArrival: number, itinerary: string[]) => {
    await producer.send({
      topic: config.topics.flights,
      acks: -1,
      messages: [{
        key: null,
        partition,
        timestamp: String(timestamp),
        value: JSON.stringify({ id: "FL_1", departure_time: T, arrival_time: flightArrival, bags: ["BAG_1"] }),
      }],
    });
    await producer.send({
      topic: config.topics.bags,
      acks: -1,
      messages: [{
        key: null,
        partition,
        timestamp: String(timestamp),
        value: JSON.stringify({ id: "BAG_1", flights: itinerary }),
      }],
    });
  };
  const applied = async (count: number) =>
    await waitFor(
      async () =>
        await appliedMessages(redis, config.topics.flights) === count &&
        await appliedMessages(redis, config.topics.bags) === count,
      30_000,
    );
  try {
    await createTopic(kafka, config.topics.flights);
    await createTopic(kafka, config.topics.bags);
    await send(1, Date.now(), T + 7200, ["FL_1", "FL_NEW"]);
    // appliedMessages() counts offset + 1 per partition: partition 1's first message at offset 0 counts 1.
    await applied(1);
    await send(0, Date.now() - 60_000, T + 3600, ["FL_1", "FL_OLD"]);
    await applied(2);
    const newest = {
      "bag:id:BAG_1": { flights: '["FL_1","FL_NEW"]' },
      "flight:id:FL_1": { departure_time: String(T), arrival_time: String(T + 7200), bags: '["BAG_1"]' },
    };
    const stored = await snapshot(redis, "[fb]*:id:*");
    const withoutStamps = Object.fromEntries(
      Object.entries(stored).map(([key, value]) => {
        const { stamp: _stamp, ...fields } = value as Record<string, string>;
        return [key, fields];
      }),
    );
    assert.deepEqual(withoutStamps, newest);
    assert.deepEqual(await redis.zrange("flight:arrival_times", 0, -1, "WITHSCORES"), ["FL_1", String(T + 7200)]);

    await redis.flushdb();
    await applied(2);
    assert.deepEqual(await snapshot(redis, "[fb]*:id:*"), stored, "the replay ends in the same state");
  } finally {
    await producer.disconnect();
    await consumers.close();
    await redis.quit();
  }
});
