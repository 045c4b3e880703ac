/** The marks the upserts leave for the scanner's change follower: due flights whose work may have changed. */
import assert from "node:assert/strict";
import { loadScript } from "../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";
import { bagKeys, flightKeys } from "../_helpers/script_keys.ts";

const T = 1_800_000_000;
/** Due: arriving between T - 300 and T + 600; marks scored T in milliseconds. */
const MARKS = [T - 300, T + 600, T * 1000];
const flight = (
  offset: number,
  id: string,
  departure: number,
  arrival: number,
  bags: string[],
) => [offset, id, departure, arrival, JSON.stringify(bags), "-"];

async function setup() {
  const redis = await freshRedis(testConfig("flight-consumer"));
  const flights = await loadScript(redis, "upsert_flights");
  const bags = await loadScript(redis, "upsert_bags");
  let offset = 0;
  // Each answers the script's reply: {APPLIED, applied, inserted, marked}.
  const upsertFlight = async (id: string, departure: number, arrival: number, manifest: string[] = []) => {
    offset += 1;
    const args = [0, -1, offset, ...MARKS, ...flight(offset, id, departure, arrival, manifest)];
    return await flights.run(flightKeys(id), args) as number[];
  };
  const upsertBag = async (id: string, itinerary: string[]) => {
    offset += 1;
    const args = [0, -1, offset, String(offset), "", ...MARKS, JSON.stringify(itinerary)];
    return await bags.run(bagKeys(id), args) as number[];
  };
  const marks = async () => await redis.zrange("work:marks", 0, -1, "WITHSCORES");
  return { redis, upsertFlight, upsertBag, marks };
}

Deno.test("upsert_flights.lua marks a due flight that is new, delayed or given bags, and nothing for the same content", async () => {
  const { redis, upsertFlight, marks } = await setup();
  try {
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 300)).at(-1), 1, "a new due flight");
    assert.deepEqual((await upsertFlight("FL_LATER", T - 3600, T + 5000)).at(-1), 0, "not due");
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 300)).at(-1), 0, "the same content again");
    assert.deepEqual(await marks(), []);
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 360)).at(-1), 1, "delayed");
    assert.deepEqual(await marks(), ["FL_DUE", String(T * 1000)]);
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 360, ["BAG_1"])).at(-1), 1, "a bag added");
    // Delayed out of the window: it was due, so its work may still change (its grace period, its readers).
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 5000, ["BAG_1"])).at(-1), 1, "delayed out");
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_flights.lua marks the due flights of work:next:<id> when the flight's departure moves", async () => {
  const { redis, upsertFlight, marks } = await setup();
  try {
    await upsertFlight("FL_IN", T - 3600, T + 300);
    await upsertFlight("FL_GONE", T - 9000, T - 7200);
    await upsertFlight("FL_NEXT", T + 3600, T + 7200);
    // The published work of FL_IN and of the long-landed FL_GONE has bags connecting to FL_NEXT.
    await redis.sadd("work:next:FL_NEXT", "FL_IN", "FL_GONE");
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_NEXT", T + 3600, T + 7200)).at(-1), 0, "the same departure");
    assert.deepEqual((await upsertFlight("FL_NEXT", T + 4200, T + 7800)).at(-1), 1, "the departure moved");
    assert.deepEqual(await marks(), ["FL_IN", String(T * 1000)]);
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_bags.lua marks the due flights of a changed itinerary, old and new, and keeps the first mark's time", async () => {
  const { redis, upsertFlight, upsertBag, marks } = await setup();
  try {
    await upsertFlight("FL_A", T - 3600, T + 100);
    await upsertFlight("FL_B", T - 3600, T + 200);
    await upsertFlight("FL_FAR", T + 3600, T + 7200);
    await redis.del("work:marks");
    assert.deepEqual((await upsertBag("BAG_1", ["FL_A", "FL_FAR"])).at(-1), 1, "a late itinerary");
    assert.deepEqual(await marks(), ["FL_A", String(T * 1000)]);
    assert.deepEqual((await upsertBag("BAG_1", ["FL_A", "FL_FAR"])).at(-1), 0, "the same itinerary");
    await redis.zadd("work:marks", T * 1000 - 500, "FL_A");
    // Rerouted from FL_A to FL_B: both flights' work for the bag changes; FL_A keeps its earlier mark.
    assert.deepEqual((await upsertBag("BAG_1", ["FL_B", "FL_FAR"])).at(-1), 1);
    assert.deepEqual(await marks(), ["FL_A", String(T * 1000 - 500), "FL_B", String(T * 1000)]);
  } finally {
    await redis.quit();
  }
});
