import assert from "node:assert/strict";
import type { FlightWork } from "../../../lib/domain/work.ts";
import { freshRedis, metricValue, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const flight = (id: string, arrival: number, bags: string[] = []) => ({
  id,
  departure_time: arrival - 3600,
  arrival_time: arrival,
  bags,
});
const longId = (prefix: string, i: number) => `${prefix}${String(i).padStart(8, "0")}`.padEnd(128, "x");

Deno.test("scan() publishes the largest valid flight (5,000 bags, 128-character ids) and every ordinary flight beside it", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    const nextFlight = longId("FL_NEXT_", 0);
    const bigBags = Array.from({ length: 5000 }, (_, i) => longId("BAG_", i));
    const big = flight(longId("FL_BIG_", 0), T + 300, bigBags);
    const ordinary = Array.from({ length: 30 }, (_, i) => flight(`FL_${i}`, T + 60 + i, [`BAG_O${i}`]));
    await seedFlights(redis, [big, ...ordinary, flight(nextFlight, T + 7200.123456789)]);
    await seedBags(redis, bigBags.map((id) => ({ id, flights: [big.id, nextFlight] })));

    const report = await scanner.scan.scan(T);
    assert.deepEqual(report, { scanned: 31, published: 31, unchanged: 0, claimedElsewhere: 0, deadLettered: 0 });
    const messages = await readTopic(kafka, config.topics.work, 31, { timeoutMs: 60_000 });
    assert.equal(messages.length, 31);
    const bigMessage = messages.find((message) => message.key === big.id)!;
    assert.ok(bigMessage.value!.length > 1_048_576, "over the broker's default message size");
    const work = JSON.parse(bigMessage.value!) as FlightWork;
    assert.equal(Object.keys(work.bags).length, 5000);
    assert.deepEqual(new Set(Object.values(work.bags)), new Set([T + 3600.123456789]));
    assert.deepEqual(new Set(Object.values(work.next_flights)), new Set([nextFlight]));
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("scan() dead-letters a flight whose stored data does not parse, publishes the others, and retries it once its data changes", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    await seedFlights(redis, [flight("FL_OK", T + 60), flight("FL_BAD", T + 120)]);
    await redis.hset("flight:id:FL_BAD", "bags", "not json");
    assert.deepEqual(await scanner.scan.scan(T), {
      scanned: 2,
      published: 1,
      unchanged: 0,
      claimedElsewhere: 0,
      deadLettered: 1,
    });
    assert.deepEqual((await scanner.scan.scan(T + 1)).deadLettered, 0, "unchanged: not dead-lettered again");
    const [dead] = await readTopic(kafka, `${config.topics.work}.dlq`, 1);
    assert.equal(dead!.key, "FL_BAD");
    assert.equal(dead!.headers.error, "unreadable: flight:id:FL_BAD holds no JSON");
    assert.equal(dead!.headers.source_topic, config.topics.work);
    assert.deepEqual(JSON.parse(dead!.value!), { id: "FL_BAD", revision: 1 });
    assert.equal(await metricValue(scanner.registry, "work_dead_lettered_total", { reason: "unreadable" }), 1);

    await redis.hset("flight:id:FL_BAD", "bags", "[]");
    assert.equal((await scanner.scan.scan(T + 2)).published, 1);
    const published = await readTopic(kafka, config.topics.work, 2);
    assert.deepEqual(
      published.map((message) => [message.key, (JSON.parse(message.value!) as FlightWork).revision]).sort(),
      [["FL_BAD", 2], ["FL_OK", 1]],
      "revision 1 went to the dead-letter topic and is not given to other content",
    );
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("scan() dead-letters work larger than the largest valid flight's with a summary, and publishes the rest", async () => {
  const config = testConfig("arrival-scanner", { MAX_BAGS_PER_FLIGHT: "10" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    // Stored while MAX_BAGS_PER_FLIGHT was larger: its work no longer fits what the topic is sized for.
    const bags = Array.from({ length: 40 }, (_, i) => longId("BAG_", i));
    await seedFlights(redis, [flight("FL_HUGE", T + 60, bags), flight("FL_OK", T + 90, ["BAG_1"])]);
    const report = await scanner.scan.scan(T);
    assert.deepEqual([report.published, report.deadLettered], [1, 1]);
    const [dead] = await readTopic(kafka, `${config.topics.work}.dlq`, 1);
    assert.equal(dead!.key, "FL_HUGE");
    assert.match(dead!.headers.error!, /^too_large: work message of \d+ bytes exceeds the largest valid one \(\d+\)$/);
    const summary = JSON.parse(dead!.value!);
    assert.deepEqual({ ...summary, value_bytes: typeof summary.value_bytes }, {
      id: "FL_HUGE",
      revision: 1,
      arrival_time: T + 60,
      bag_count: 40,
      value_bytes: "number",
    });
    const [work] = await readTopic(kafka, config.topics.work, 1);
    assert.equal(work!.key, "FL_OK");
  } finally {
    await scanner.close();
    await redis.quit();
  }
});
