/**
 * The scanner's connection_risk_bags{grade}: after each whole scan, the transfer bags of the flights in the window and
 * the grace period by grade, counted whoever publishes the flights (a replica that published nothing counts them too).
 */
import assert from "node:assert/strict";
import { freshRedis, metricValue, testConfig } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const MCT = 2700;
const grades = (registry: Parameters<typeof metricValue>[0]) =>
  Promise.all(
    ["critical", "hot", "warm", "ok"].map((grade) => metricValue(registry, "connection_risk_bags", { grade })),
  );

Deno.test("each whole scan sets connection_risk_bags to the window's transfer bags by grade, on every replica", async () => {
  const config = testConfig("arrival-scanner");
  const redis = await freshRedis(config);
  const [first, second] = [await createScanner(config), await createScanner(config)];
  try {
    const arrival = T + 300;
    /** An onward flight leaving with `slack` seconds beyond the minimum connection after `arrival`. */
    const onward = (id: string, slack: number) => ({
      id,
      departure_time: arrival + MCT + slack,
      arrival_time: arrival + MCT + slack + 3600,
      bags: [],
    });
    await seedFlights(redis, [
      { id: "FL_IN", departure_time: T - 3600, arrival_time: arrival, bags: ["B1", "B2", "B3", "B4", "B5", "B6"] },
      onward("FL_CRIT", -1),
      onward("FL_HOT", 0),
      onward("FL_WARM", 900),
      onward("FL_OK", 1800),
      // Outside the window: not counted.
      { id: "FL_LATER", departure_time: T, arrival_time: T + 3600, bags: ["B7"] },
    ]);
    await seedBags(redis, [
      { id: "B1", flights: ["FL_IN", "FL_CRIT"] },
      { id: "B2", flights: ["FL_IN", "FL_HOT"] },
      { id: "B3", flights: ["FL_IN", "FL_HOT"] },
      { id: "B4", flights: ["FL_IN", "FL_WARM"] },
      { id: "B5", flights: ["FL_IN", "FL_OK"] },
      { id: "B6", flights: ["FL_IN"] },
      { id: "B7", flights: ["FL_LATER", "FL_OK"] },
    ]);
    assert.equal((await first.scan.scan(T)).published, 1);
    assert.deepEqual(await grades(first.registry), [1, 2, 1, 1]);
    // The second replica publishes nothing (the work is unchanged) and counts the same bags.
    assert.equal((await second.scan.scan(T)).unchanged, 1);
    assert.deepEqual(await grades(second.registry), [1, 2, 1, 1]);

    // FL_HOT leaves later: its two bags are ok at the next scan.
    await seedFlights(redis, [onward("FL_HOT", 5000)]);
    await first.scan.scan(T + 1);
    assert.deepEqual(await grades(first.registry), [1, 0, 1, 3]);
  } finally {
    await first.close();
    await second.close();
    await redis.quit();
  }
});
