import assert from "node:assert/strict";
import type { FlightWork } from "../../../lib/domain/work.ts";
import { workStateKey } from "../../../lib/infra/keys.ts";
import { appliedMessages } from "../../_helpers/redis_state.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { freshRedis, metricValue, produce, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { createScanner, startConsumers } from "../../_helpers/pipeline.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";
import { topologyTest } from "../../_helpers/topologies.ts";
import type { RedisClient } from "../../../lib/infra/redis.ts";
import { storedCounts } from "../../../lib/scan/slot_aggregates.ts";

const T = Math.floor(Date.now() / 1000);

const byId = (value: unknown) => (value as { id: string }).id;

function workOf(messages: { value: string | null }[]): FlightWork[] {
  return messages.map((message) => JSON.parse(message.value!) as FlightWork);
}

/** Waits until the consumers applied `total` messages of `topic`. */
async function waitApplied(redis: RedisClient, topic: string, total: number) {
  await waitFor(
    async () => await appliedMessages(redis, topic) === total,
    20_000,
    () => `${topic}: not all ${total} messages applied`,
  );
}

topologyTest(
  "scan() publishes every code end to end, from Kafka messages to the exact work message",
  async (topology) => {
    const config = testConfig("arrival-scanner", topology.env);
    const redis = await topology.freshRedis(config);
    const kafka = testKafka(config);
    const consumers = await startConsumers(config);
    const scanner = await createScanner(config);
    try {
      const flights = [
        {
          id: "FL_ARRIVING",
          departure_time: T - 7200,
          arrival_time: T + 300,
          bags: ["BAG_CONNECT", "BAG_FINAL", "BAG_UNKNOWN", "BAG_EMPTY", "BAG_NEXT_MISSING", "BAG_ELSEWHERE"],
        },
        { id: "FL_NEXT", departure_time: T + 4000, arrival_time: T + 8000, bags: ["BAG_CONNECT"] },
        { id: "FL_NO_BAGS", departure_time: T - 3600, arrival_time: T + 500, bags: [] },
      ];
      const bags = [
        { id: "BAG_CONNECT", flights: ["FL_ARRIVING", "FL_NEXT"] },
        { id: "BAG_FINAL", flights: ["FL_ARRIVING"] },
        { id: "BAG_EMPTY", flights: [] },
        { id: "BAG_NEXT_MISSING", flights: ["FL_ARRIVING", "FL_NEVER_SENT"] },
        { id: "BAG_ELSEWHERE", flights: ["FL_NEXT"] },
      ];
      await produce(kafka, config.topics.bags, bags, byId);
      await produce(kafka, config.topics.flights, flights, byId);
      await waitApplied(redis, config.topics.flights, 3);
      await waitApplied(redis, config.topics.bags, 5);

      const report = await scanner.scan.scan(T);

      assert.deepEqual(report, { scanned: 2, published: 2, unchanged: 0, claimedElsewhere: 0, deadLettered: 0 });
      const messages = await readTopic(kafka, config.topics.work, 2);
      assert.deepEqual(messages.map((message) => message.key).sort(), ["FL_ARRIVING", "FL_NO_BAGS"]);
      const work = workOf(messages).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(work, [
        {
          id: "FL_ARRIVING",
          arrival_time: T + 300,
          bags: {
            BAG_CONNECT: T + 4000,
            BAG_FINAL: 0,
            BAG_UNKNOWN: -1,
            BAG_EMPTY: -2,
            BAG_NEXT_MISSING: -3,
            BAG_ELSEWHERE: -10,
          },
          next_flights: {
            BAG_CONNECT: "FL_NEXT",
            BAG_FINAL: null,
            BAG_UNKNOWN: null,
            BAG_EMPTY: null,
            BAG_NEXT_MISSING: "FL_NEVER_SENT",
            BAG_ELSEWHERE: null,
          },
          revision: 1,
          scanned_at: T,
          removed_bags: [],
        },
        {
          id: "FL_NO_BAGS",
          arrival_time: T + 500,
          bags: {},
          next_flights: {},
          revision: 1,
          scanned_at: T,
          removed_bags: [],
        },
      ]);
      assert.equal(await metricValue(scanner.registry, "produced_arriving_flight_work_total"), 2);
      for (
        const outcome of [
          "departure",
          "final_destination",
          "itinerary_unknown",
          "no_flights",
          "next_flight_unknown",
          "flight_not_in_itinerary",
        ]
      ) {
        assert.equal(await metricValue(scanner.registry, "bag_work_items_total", { outcome }), 1, outcome);
      }
      assert.equal(await metricValue(scanner.registry, "redis_stored_flights"), 3);
      assert.equal(await metricValue(scanner.registry, "redis_stored_bags"), 5);
      assert.equal(await metricValue(scanner.registry, "latest_work_arrival_timestamp") > 0, true);
    } finally {
      await scanner.close();
      await consumers.close();
      await redis.quit();
    }
  },
);

topologyTest(
  "scan() publishes a correction for a delay or a late itinerary, and nothing for a replayed message",
  async (topology) => {
    const config = testConfig("arrival-scanner", topology.env);
    const redis = await topology.freshRedis(config);
    const kafka = testKafka(config);
    const consumers = await startConsumers(config);
    const scanner = await createScanner(config);
    try {
      const flight = { id: "FL_1", departure_time: T - 7200, arrival_time: T + 300, bags: ["BAG_LATE"] };
      await produce(kafka, config.topics.flights, [flight], byId);
      await waitApplied(redis, config.topics.flights, 1);
      await scanner.scan.scan(T);

      const delayed = { ...flight, arrival_time: T + 420 };
      await produce(kafka, config.topics.flights, [delayed], byId);
      await waitApplied(redis, config.topics.flights, 2);
      await scanner.scan.scan(T + 60);

      await produce(kafka, config.topics.flights, [delayed], byId);
      await waitApplied(redis, config.topics.flights, 3);
      const afterReplay = await scanner.scan.scan(T + 120);
      assert.equal(afterReplay.published, 0);
      assert.equal(afterReplay.unchanged, 1);

      await produce(kafka, config.topics.bags, [{ id: "BAG_LATE", flights: ["FL_1"] }], byId);
      await waitApplied(redis, config.topics.bags, 1);
      await scanner.scan.scan(T + 180);

      const work = workOf(await readTopic(kafka, config.topics.work, 3));
      assert.deepEqual(
        work.map(({ revision, arrival_time, bags, scanned_at }) => ({ revision, arrival_time, bags, scanned_at })),
        [
          { revision: 1, arrival_time: T + 300, bags: { BAG_LATE: -1 }, scanned_at: T },
          { revision: 2, arrival_time: T + 420, bags: { BAG_LATE: -1 }, scanned_at: T + 60 },
          { revision: 3, arrival_time: T + 420, bags: { BAG_LATE: 0 }, scanned_at: T + 180 },
        ],
      );
      assert.equal(await metricValue(scanner.registry, "work_corrections_total"), 2);
      assert.equal((await storedCounts(redis)).flights, 1);
    } finally {
      await scanner.close();
      await consumers.close();
      await redis.quit();
    }
  },
);

Deno.test("scan() lists in removed_bags the bags of the last published revision that this one has not, once", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    const flight = { id: "FL_1", departure_time: T - 7200, arrival_time: T + 300, bags: ["BAG_A", "BAG_B", "BAG_C"] };
    await seedBags(redis, ["BAG_A", "BAG_B", "BAG_C"].map((id) => ({ id, flights: ["FL_1"] })));
    const scanWith = async (bags: string[], at: number) => {
      await seedFlights(redis, [{ ...flight, bags }]);
      return (await scanner.scan.scan(at)).published;
    };
    assert.equal(await scanWith(["BAG_A", "BAG_B", "BAG_C"], T), 1);
    assert.equal(await redis.hget(workStateKey("FL_1"), "bags"), '["BAG_A","BAG_B","BAG_C"]');
    assert.equal(await scanWith(["BAG_A"], T + 1), 1);
    assert.equal(await scanWith(["BAG_A"], T + 2), 0, "unchanged: nothing published, no removal repeated");
    assert.equal(await scanWith(["BAG_A", "BAG_B"], T + 3), 1, "BAG_B back: not removed any more");
    assert.equal(await scanWith(["BAG_B"], T + 4), 1);

    const work = workOf(await readTopic(kafka, config.topics.work, 4));
    assert.deepEqual(work[1], {
      id: "FL_1",
      arrival_time: T + 300,
      bags: { BAG_A: 0 },
      next_flights: { BAG_A: null },
      revision: 2,
      scanned_at: T + 1,
      removed_bags: ["BAG_B", "BAG_C"],
    });
    assert.deepEqual(work.map(({ revision, removed_bags }) => [revision, removed_bags]), [
      [1, []],
      [2, ["BAG_B", "BAG_C"]],
      [3, []],
      [4, ["BAG_A"]],
    ]);
    assert.equal(await redis.hget(workStateKey("FL_1"), "bags"), '["BAG_B"]');
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("scan() counts removed_bags from the last published revision, not from a dead-lettered one", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    const flight = { id: "FL_1", departure_time: T - 7200, arrival_time: T + 300, bags: ["BAG_A", "BAG_B"] };
    await seedFlights(redis, [flight]);
    assert.equal((await scanner.scan.scan(T)).published, 1);
    await redis.hset("flight:id:FL_1", "bags", "not json");
    assert.equal((await scanner.scan.scan(T + 1)).deadLettered, 1);
    await seedFlights(redis, [{ ...flight, bags: ["BAG_A"] }]);
    assert.equal((await scanner.scan.scan(T + 2)).published, 1);

    const work = workOf(await readTopic(kafka, config.topics.work, 2));
    assert.deepEqual(work.map(({ revision, removed_bags }) => [revision, removed_bags]), [
      [1, []],
      [3, ["BAG_B"]],
    ]);
  } finally {
    await scanner.close();
    await redis.quit();
  }
});
