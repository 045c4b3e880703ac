import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import type { FlightWork } from "../../lib/domain/work.ts";
import { FLIGHT_COUNT } from "../../lib/keys.ts";
import { appliedMessages } from "../_helpers/redis_state.ts";
import { waitFor } from "../../lib/poll.ts";
import { freshRedis, metricValue, produce, readTopic, testConfig, testKafka } from "../_helpers/fixtures.ts";
import { createScanner, startConsumers } from "../_helpers/pipeline.ts";

const T = Math.floor(Date.now() / 1000);

const byId = (value: unknown) => (value as { id: string }).id;

function workOf(messages: { value: string | null }[]): FlightWork[] {
  return messages.map((message) => JSON.parse(message.value!) as FlightWork);
}

/** Waits until the consumers applied `total` messages of `topic`. */
async function waitApplied(redis: Redis, topic: string, total: number) {
  await waitFor(
    async () => await appliedMessages(redis, topic) === total,
    20_000,
    () => `${topic}: not all ${total} messages applied`,
  );
}

Deno.test("scan() publishes every code end to end, from Kafka messages to the exact work message", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
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
      },
      { id: "FL_NO_BAGS", arrival_time: T + 500, bags: {}, next_flights: {}, revision: 1, scanned_at: T },
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
});

Deno.test("scan() publishes a correction for a delay or a late itinerary, and nothing for a replayed message", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
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
    assert.equal(await redis.get(FLIGHT_COUNT), "1");
  } finally {
    await scanner.close();
    await consumers.close();
    await redis.quit();
  }
});
