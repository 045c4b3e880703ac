import assert from "node:assert/strict";
import type { FlightWork } from "../../../lib/domain/work.ts";
import { freshRedis, metricValue, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { seedFlights } from "../../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const flight = (id: string, arrival: number) => ({
  id,
  departure_time: arrival - 3600,
  arrival_time: arrival,
  bags: [],
});

Deno.test("scan() leaves a flight outside the window alone and publishes it once when it enters", async () => {
  const config = testConfig("arrival-scanner", { SCAN_WINDOW_SECONDS: "600" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    await seedFlights(redis, [flight("FL_LATER", T + 1200)]);
    assert.equal((await scanner.scan.scan(T)).published, 0);
    assert.equal((await scanner.scan.scan(T + 700)).published, 1);
    assert.equal((await scanner.scan.scan(T + 760)).published, 0);
    const messages = await readTopic(kafka, config.topics.work, 1);
    assert.deepEqual(messages.map((message) => [message.key, (JSON.parse(message.value!) as FlightWork).revision]), [[
      "FL_LATER",
      1,
    ]]);
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("scan() publishes a flight landed within the grace period, counts older ones as skipped, and corrects landed work until the grace ends", async () => {
  const config = testConfig("arrival-scanner", { SCAN_GRACE_SECONDS: "300" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const scanner = await createScanner(config);
  try {
    await seedFlights(redis, [
      flight("FL_JUST_LANDED", T - 100),
      flight("FL_LONG_AGO", T - 400),
      flight("FL_SOON", T + 100),
    ]);
    assert.equal((await scanner.scan.scan(T)).published, 2);
    await seedFlights(redis, [{ ...flight("FL_SOON", T + 100), bags: ["BAG_NEW"] }]);
    const afterLanding = await scanner.scan.scan(T + 200);
    assert.deepEqual(afterLanding, { scanned: 2, published: 1, unchanged: 1, claimedElsewhere: 0, deadLettered: 0 });
    // Past SCAN_GRACE_SECONDS after landing, a change is no longer published.
    await seedFlights(redis, [{ ...flight("FL_SOON", T + 100), bags: ["BAG_NEW", "BAG_LATE"] }]);
    assert.equal((await scanner.scan.scan(T + 401)).published, 0);
    const messages = await readTopic(kafka, config.topics.work, 3);
    assert.deepEqual(
      messages.map((message) => [message.key, JSON.parse(message.value!).revision]).sort(),
      [["FL_JUST_LANDED", 1], ["FL_SOON", 1], ["FL_SOON", 2]],
    );
    assert.equal(await metricValue(scanner.registry, "flights_skipped_too_old_total"), 1);
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("two scanner replicas scanning together publish each flight's revision exactly once", async () => {
  const config = testConfig("arrival-scanner", { SCAN_BATCH_FLIGHTS: "7" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const first = await createScanner(config);
  const second = await createScanner(config);
  try {
    const flights = Array.from({ length: 200 }, (_, i) => flight(`FL_${i}`, T + 1 + i));
    await seedFlights(redis, flights);
    const reports = await Promise.all([first.scan.scan(T), second.scan.scan(T)]);
    assert.equal(reports[0]!.published + reports[1]!.published, 200);
    await seedFlights(redis, flights.slice(0, 50).map((f) => ({ ...f, arrival_time: f.arrival_time + 30 })));
    const corrections = await Promise.all([first.scan.scan(T + 1), second.scan.scan(T + 1)]);
    assert.equal(corrections[0]!.published + corrections[1]!.published, 50);

    const messages = await readTopic(kafka, config.topics.work, 250);
    const revisions = messages.map((message) => {
      const work = JSON.parse(message.value!) as FlightWork;
      return `${work.id}#${work.revision}`;
    });
    assert.equal(revisions.length, 250);
    assert.equal(new Set(revisions).size, 250);
    for (let i = 0; i < 50; i++) assert.ok(revisions.includes(`FL_${i}#2`));
  } finally {
    await first.close();
    await second.close();
    await redis.quit();
  }
});
