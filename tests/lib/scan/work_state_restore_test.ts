import assert from "node:assert/strict";
import { FLIGHTS_ARRIVED, WORK_STATE, workStateKey } from "../../../lib/infra/keys.ts";
import { createKafka } from "../../../lib/infra/kafka.ts";
import { restoreWorkStateIfLost } from "../../../lib/scan/work_state_restore.ts";
import { freshRedis, readTopic, testConfig, testKafka, testLogger } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const arriving = { id: "FL_ARRIVING", departure_time: T - 3600, arrival_time: T + 300, bags: ["BAG_1"] };
const next = { id: "FL_NEXT", departure_time: T + 7200, arrival_time: T + 9000, bags: ["BAG_1"] };

Deno.test("restoreWorkStateIfLost() after Redis lost its data: revisions go on from the topic's highest", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const scanner = await createScanner(config);
  const deps = { redis, kafka: createKafka(config, testLogger()), config, logger: testLogger() };
  const seed = async (itinerary: string[]) => {
    await seedFlights(redis, [arriving, next]);
    await seedBags(redis, [{ id: "BAG_1", flights: itinerary }]);
  };
  try {
    assert.equal(await restoreWorkStateIfLost(deps, T), 0, "an empty topic: nothing to restore, marker set");
    assert.equal(await restoreWorkStateIfLost(deps, T), undefined, "the marker is there: nothing read");
    await seed(["FL_ARRIVING"]);
    assert.equal((await scanner.scan.scan(T)).published, 1);
    await seed(["FL_ARRIVING", "FL_NEXT"]);
    assert.equal((await scanner.scan.scan(T + 1)).published, 1);
    const published = await redis.hgetall(workStateKey("FL_ARRIVING"));
    assert.equal(published.revision, "2");

    // Redis restarts empty; the consumers rebuild the flights and bags from Kafka.
    await redis.flushdb();
    await seed(["FL_ARRIVING", "FL_NEXT"]);
    assert.equal(await restoreWorkStateIfLost(deps, T + 2), 1);
    assert.deepEqual(await redis.hgetall(workStateKey("FL_ARRIVING")), published);
    assert.deepEqual(await redis.zrange(FLIGHTS_ARRIVED, 0, -1, "WITHSCORES"), ["FL_ARRIVING", String(T + 300)]);
    assert.equal(await redis.hexists(WORK_STATE, "restored_at"), 1);
    assert.deepEqual(
      await scanner.scan.scan(T + 3),
      { scanned: 1, published: 0, unchanged: 1, claimedElsewhere: 0, deadLettered: 0 },
      "unchanged work is not published again",
    );
    await seed(["FL_ARRIVING"]);
    assert.equal((await scanner.scan.scan(T + 4)).published, 1);
    assert.equal(await redis.hget(workStateKey("FL_ARRIVING"), "revision"), "3", "a correction comes after revision 2");
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("restore_flight_work.lua never lowers a revision, and drops a claim below the restored one", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const deps = { redis, kafka: createKafka(config, testLogger()), config, logger: testLogger() };
  const scanner = await createScanner(config);
  try {
    await seedFlights(redis, [arriving]);
    await scanner.scan.scan(T);
    await seedFlights(redis, [{ ...arriving, bags: [] }]);
    await scanner.scan.scan(T + 1);
    await redis.flushdb();
    await redis.hset(workStateKey("FL_ARRIVING"), "revision", "1", "digest", "old", "pending_revision", "1");
    await redis.hset(workStateKey("FL_OTHER"), "revision", "5", "digest", "kept");
    assert.equal(await restoreWorkStateIfLost(deps, T + 2), 1);
    const restored = await redis.hgetall(workStateKey("FL_ARRIVING"));
    assert.deepEqual(Object.keys(restored).sort(), ["bags", "digest", "revision"]);
    assert.equal(restored.revision, "2");
    assert.equal(restored.bags, "[]", "the bags of revision 2, which had none");
    assert.deepEqual(await redis.hgetall(workStateKey("FL_OTHER")), { revision: "5", digest: "kept" });
    assert.equal(await restoreWorkStateIfLost(deps, T + 3), undefined);
    await redis.del(WORK_STATE);
    await redis.hset(workStateKey("FL_ARRIVING"), "bags", '["BAG_LATER"]');
    assert.equal(await restoreWorkStateIfLost(deps, T + 3), 0, "a state at the topic's revision is left alone");
    assert.equal(await redis.hget(workStateKey("FL_ARRIVING"), "bags"), '["BAG_LATER"]');
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("restoreWorkStateIfLost() restores the bags of the highest revision: the next one lists what was removed since", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const deps = { redis, kafka: createKafka(config, testLogger()), config, logger: testLogger() };
  const scanner = await createScanner(config);
  try {
    await seedFlights(redis, [{ ...arriving, bags: ["BAG_1", "BAG_2"] }]);
    assert.equal((await scanner.scan.scan(T)).published, 1);
    const published = await redis.hgetall(workStateKey("FL_ARRIVING"));
    assert.equal(published.bags, '["BAG_1","BAG_2"]');

    // Redis restarts empty; the flight comes back from Kafka with BAG_2 gone.
    await redis.flushdb();
    await seedFlights(redis, [{ ...arriving, bags: ["BAG_1"] }]);
    assert.equal(await restoreWorkStateIfLost(deps, T + 1), 1);
    assert.deepEqual(await redis.hgetall(workStateKey("FL_ARRIVING")), published);
    assert.equal((await scanner.scan.scan(T + 2)).published, 1);
    const work = (await readTopic(kafka, config.topics.work, 2)).map((message) => JSON.parse(message.value!));
    assert.deepEqual(work.map(({ revision, removed_bags }) => [revision, removed_bags]), [
      [1, []],
      [2, ["BAG_2"]],
    ]);
  } finally {
    await scanner.close();
    await redis.quit();
  }
});
