import assert from "node:assert/strict";
import { freshRedis, metricValue, testConfig } from "../_helpers/fixtures.ts";
import { createScanner } from "../_helpers/pipeline.ts";
import { snapshot } from "../_helpers/redis_state.ts";
import { seedBags, seedFlights } from "../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const DAY = 24 * 3600;

Deno.test("scan() deletes flights past DATA_RETENTION_SECONDS and the bags whose journey ended, keeping counts exact", async () => {
  const config = testConfig("arrival-scanner", { DATA_RETENTION_SECONDS: String(2 * DAY) });
  const redis = await freshRedis(config);
  const scanner = await createScanner(config);
  try {
    const old = {
      id: "FL_OLD",
      departure_time: T - 3 * DAY - 3600,
      arrival_time: T - 3 * DAY,
      bags: ["BAG_DONE", "BAG_CONNECTING", "BAG_EMPTY"],
    };
    const next = { id: "FL_NEXT", departure_time: T + 3600, arrival_time: T + 7200, bags: ["BAG_CONNECTING"] };
    await seedFlights(redis, [old, next]);
    await seedBags(redis, [
      { id: "BAG_DONE", flights: ["FL_OLD"] },
      { id: "BAG_CONNECTING", flights: ["FL_OLD", "FL_NEXT"] },
      { id: "BAG_EMPTY", flights: [] },
    ]);

    await scanner.scan.scan(T);

    assert.deepEqual(await snapshot(redis, "[fb]*"), {
      "bag:count": "1",
      "bag:id:BAG_CONNECTING": { flights: '["FL_OLD","FL_NEXT"]' },
      "flight:arrival_times": ["FL_NEXT", String(T + 7200)],
      "flight:count": "1",
      "flight:id:FL_NEXT": {
        departure_time: String(T + 3600),
        arrival_time: String(T + 7200),
        bags: '["BAG_CONNECTING"]',
      },
    });
    assert.equal(await metricValue(scanner.registry, "redis_expired_flights_total"), 1);
    assert.equal(await metricValue(scanner.registry, "redis_expired_bags_total"), 2);
    await scanner.scan.scan(T + 60);
    assert.equal(await redis.get("flight:count"), "1", "a second pass deletes and counts nothing more");
  } finally {
    await scanner.close();
    await redis.quit();
  }
});
