import assert from "node:assert/strict";
import { waitForInputCaughtUp } from "../../../lib/scan/input_catch_up.ts";
import { freshRedis, produce, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { startConsumers } from "../../_helpers/pipeline.ts";

const byId = (value: unknown) => (value as { id: string }).id;

Deno.test("waitForInputCaughtUp() times out while the consumers are behind Kafka, and answers once they have caught up", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const input = [config.topics.flights, config.topics.bags].map((topic) => ({ topic, dataPattern: "" }));
  try {
    await produce(
      kafka,
      config.topics.bags,
      Array.from({ length: 50 }, (_, i) => ({ id: `BAG_${i}`, flights: [] })),
      byId,
    );
    await produce(kafka, config.topics.flights, [], byId);
    assert.equal(await waitForInputCaughtUp(kafka, redis, input, 300), "timed-out");
    const consumers = await startConsumers(config);
    try {
      assert.equal(await waitForInputCaughtUp(kafka, redis, input, 30_000), "caught-up");
      assert.equal(await redis.get("bag:count"), "50");
    } finally {
      await consumers.close();
    }
    assert.equal(await waitForInputCaughtUp(kafka, redis, input, 0), "unknown", "0 disables the wait");
  } finally {
    await redis.quit();
  }
});
