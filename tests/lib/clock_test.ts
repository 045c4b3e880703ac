/** Where time decides something, it is the injected clock that decides, not the machine's. */
import assert from "node:assert/strict";
import type { Clock } from "../../lib/infra/clock.ts";
import { bridgeRevisionsKey } from "../../lib/infra/keys.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { startFlightConsumer } from "../../lib/ingest/flight_consumer.ts";
import { createWorkStreamStore } from "../../lib/stream/work_stream_store.ts";
import { testContext } from "../_helpers/context.ts";
import { freshRedis, produce, readTopic, testConfig, testKafka } from "../_helpers/fixtures.ts";
import { workMessages } from "../_helpers/work_messages.ts";

const T = 1_800_000_000;

Deno.test("createWorkStreamStore() forgets the revisions of flights older than the retention by its clock", async () => {
  const config = testConfig("bridge");
  const redis = await freshRedis(config);
  let now = T;
  const clock: Clock = () => now;
  const stream = "stream:test-clock";
  try {
    const trim = { maxLength: 0, maxAgeSeconds: 0, revisionRetentionSeconds: 3600 };
    const store = await createWorkStreamStore(redis, "work", stream, trim, clock, () => {});
    const [first, second] = workMessages(2, 1);
    const request = (offset: number, work: typeof first) => ({
      partition: 0,
      requiredOffset: BigInt(offset - 1),
      lastOffset: String(offset),
      records: [{ offset: String(offset), record: work! }],
    });
    await store.store(request(0, first));
    assert.deepEqual(await redis.hgetall(bridgeRevisionsKey(stream)), { FL_0: "1" });
    // An hour after FL_1 arrived (at T + 1), by the store's clock: FL_0's revision (arrived at T) is forgotten.
    now = T + 3601;
    await store.store(request(1, second));
    assert.deepEqual(await redis.hgetall(bridgeRevisionsKey(stream)), { FL_1: "1" });
  } finally {
    await redis.quit();
  }
});

Deno.test("the flight consumer accepts a flight up to MAX_FUTURE_SECONDS ahead of its clock, not the machine's", async () => {
  const config = testConfig("flight-consumer", { MAX_FUTURE_SECONDS: "3600" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  // The consumer's clock is a day ahead of the machine: a flight 20 hours ahead of the machine is 4 h in its past.
  const machine = Math.floor(Date.now() / 1000);
  const context = { ...await testContext(config), clock: () => machine + 24 * 3600 };
  const consumer = await startFlightConsumer(context);
  try {
    const ahead = { id: "FL_AHEAD", departure_time: machine + 20 * 3600, arrival_time: machine + 21 * 3600, bags: [] };
    const tooFar = {
      id: "FL_TOO_FAR",
      departure_time: machine + 26 * 3600,
      arrival_time: machine + 27 * 3600,
      bags: [],
    };
    await produce(kafka, config.topics.flights, [ahead, tooFar]);
    await waitFor(async () => await redis.exists("flight:id:FL_AHEAD") === 1, 20_000);
    const [dead] = await readTopic(kafka, `${config.topics.flights}.dlq`, 1);
    assert.match(String(dead?.headers.error), /^'departure_time' \d+ is more than MAX_FUTURE_SECONDS \(3600\) ahead$/);
    assert.equal(await redis.exists("flight:id:FL_TOO_FAR"), 0);
  } finally {
    await consumer.close();
    await context.closeContext();
    await redis.quit();
  }
});
