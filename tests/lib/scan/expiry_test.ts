import assert from "node:assert/strict";
import { loadScript } from "../../../lib/infra/scripts.ts";
import { freshRedis, metricValue, testConfig } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { snapshot } from "../../_helpers/redis_state.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";

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
      "flight:expired": ["FL_OLD", String(T - 3 * DAY)],
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

Deno.test("scan() sweeps away bags no expiry reaches (last flight never came, not on the manifest) and keeps the rest, counts exact", async () => {
  const config = testConfig("arrival-scanner", { DATA_RETENTION_SECONDS: String(2 * DAY) });
  const redis = await freshRedis(config);
  const scanner = await createScanner(config);
  try {
    const old = { id: "FL_OLD", departure_time: T - 3 * DAY - 3600, arrival_time: T - 3 * DAY, bags: ["BAG_LISTED"] };
    const next = { id: "FL_NEXT", departure_time: T + 3600, arrival_time: T + 7200, bags: [] };
    await seedFlights(redis, [old, next]);
    await seedBags(redis, [
      // Listed on FL_OLD, but its last flight never came: expiry keeps it (its journey does not end on FL_OLD).
      { id: "BAG_LISTED", flights: ["FL_OLD", "FL_NEVER"] },
      // Ends on FL_OLD, but FL_OLD's manifest does not list it.
      { id: "BAG_UNLISTED", flights: ["FL_OLD"] },
      // Still travelling: FL_NEXT is stored.
      { id: "BAG_TRAVELLING", flights: ["FL_OLD", "FL_NEXT"] },
      // None of its flights is known, none expired: its schedules may still come.
      { id: "BAG_WAITING", flights: ["FL_UNKNOWN"] },
    ]);

    await scanner.scan.scan(T);
    assert.equal(await redis.get("bag:count"), "4", "expiry alone deletes none of them");
    assert.equal(await scanner.scan.sweep(T), 2);

    assert.deepEqual(await snapshot(redis, "bag:*"), {
      "bag:count": "2",
      "bag:id:BAG_TRAVELLING": { flights: '["FL_OLD","FL_NEXT"]' },
      "bag:id:BAG_WAITING": { flights: '["FL_UNKNOWN"]' },
      "bag:sweep_cursor": "0",
      "bag:unresolved": ["bag:id:BAG_WAITING", String(T)],
    });
    assert.equal(await metricValue(scanner.registry, "redis_swept_bags_total"), 2);
    assert.equal(await metricValue(scanner.registry, "redis_stored_bags"), 2);

    // Its flights never came within MAX_FUTURE_SECONDS + DATA_RETENTION_SECONDS of the sweep first seeing it.
    const unresolvedFor = config.limits.maxFutureSeconds + config.scan.dataRetentionSeconds;
    assert.equal(await scanner.scan.sweep(T + unresolvedFor - 60), 0);
    assert.equal(await scanner.scan.sweep(T + unresolvedFor + 60), 1);
    assert.deepEqual(await snapshot(redis, "bag:*"), {
      "bag:count": "1",
      "bag:id:BAG_TRAVELLING": { flights: '["FL_OLD","FL_NEXT"]' },
      "bag:sweep_cursor": "0",
    });
  } finally {
    await scanner.close();
    await redis.quit();
  }
});

Deno.test("delete_orphan_bags.lua leaves a bag whose itinerary was stored again after the sweep read it", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  try {
    await seedBags(redis, [{ id: "BAG_1", flights: ["FL_OLD"] }, { id: "BAG_2", flights: ["FL_OLD"] }]);
    const script = await loadScript(redis, "delete_orphan_bags");
    await redis.hset("bag:id:BAG_2", "flights", '["FL_NEW"]');
    await redis.zadd("bag:unresolved", 1, "bag:id:BAG_1", 1, "bag:id:BAG_2");
    const deleted = await script.run([], ["bag:id:BAG_1", '["FL_OLD"]', "", "bag:id:BAG_2", '["FL_OLD"]', ""]);
    assert.equal(deleted, 1);
    assert.deepEqual(await snapshot(redis, "bag:*"), {
      "bag:count": "1",
      "bag:id:BAG_2": { flights: '["FL_NEW"]' },
      "bag:unresolved": ["bag:id:BAG_2", "1"],
    });
  } finally {
    await redis.quit();
  }
});
