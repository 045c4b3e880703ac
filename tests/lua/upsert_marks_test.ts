/**
 * The marks the upserts leave for the scanner's change follower: the due flights whose work may have changed,
 * found through what the scanner's reads recorded (work:due_bags:<hour>, work:due_next:<hour>).
 */
import assert from "node:assert/strict";
import { arrivalHour, arrivalHours, dueBagsKey, dueNextFlightsKey } from "../../lib/infra/keys.ts";
import { loadScript } from "../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";
import { bagCall, flightCall } from "../_helpers/upsert_calls.ts";

/** The start of an hour, so that the window [T - 300, T + 600] covers two hours of arrival. */
const T = 1_800_000_000 - (1_800_000_000 % 3600);
const HOURS = arrivalHours(T - 300, T + 600);
/** Due: arriving between T - 300 and T + 600; marks scored T in milliseconds; the hours of the work:due_* keys. */
const MARKS = [T - 300, T + 600, T * 1000, HOURS.join(",")];
const flight = (offset: number, id: string, departure: number, arrival: number, bags: string[]) => [
  offset,
  id,
  departure,
  arrival,
  JSON.stringify(bags),
  "-",
];

async function setup() {
  const redis = await freshRedis(testConfig("flight-consumer"));
  const flights = await loadScript(redis, "upsert_flights");
  const bags = await loadScript(redis, "upsert_bags");
  let offset = 0;
  // Each answers the script's reply: {APPLIED, applied, inserted, marked, to_mark}.
  const upsertFlight = async (id: string, departure: number, arrival: number, manifest: string[] = []) => {
    offset += 1;
    const args = [0, -1, offset, ...MARKS, ...flight(offset, id, departure, arrival, manifest)];
    return await flights.run(...flightCall(args)) as number[];
  };
  const upsertBag = async (id: string, itinerary: string[], stamp = "") => {
    offset += 1;
    const args = [0, -1, offset, String(offset), stamp, ...MARKS, JSON.stringify(itinerary)];
    return await bags.run(...bagCall([id], args)) as number[];
  };
  const marks = async () => await redis.zrange("work:marks", 0, -1, "WITHSCORES");
  return { redis, upsertFlight, upsertBag, marks };
}

Deno.test("upsert_flights.lua marks a due flight that is new, delayed or given bags, and nothing for the same content", async () => {
  const { redis, upsertFlight, marks } = await setup();
  try {
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 300))[3], 1, "a new due flight");
    assert.deepEqual((await upsertFlight("FL_LATER", T - 3600, T + 5000))[3], 0, "not due");
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 300))[3], 0, "the same content again");
    assert.deepEqual(await marks(), []);
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 360))[3], 1, "delayed");
    assert.deepEqual(await marks(), ["FL_DUE", String(T * 1000)]);
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 360, ["BAG_1"]))[3], 1, "a bag added");
    // Delayed out of the window: it was due, so its work may still change (its grace period, its readers).
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_DUE", T - 3600, T + 5000, ["BAG_1"]))[3], 1, "delayed out");
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_flights.lua marks the due flights with a bag connecting to a flight when its departure moves", async () => {
  const { redis, upsertFlight, marks } = await setup();
  try {
    await upsertFlight("FL_IN", T - 3600, T + 300);
    await upsertFlight("FL_OTHER_HOUR", T - 3600, T - 200);
    await upsertFlight("FL_GONE", T - 9000, T - 7200);
    await upsertFlight("FL_NEXT", T + 3600, T + 7200);
    // Bags of FL_IN, FL_OTHER_HOUR (arriving in the hour before) and the long-landed FL_GONE connect to FL_NEXT.
    await redis.hset(dueNextFlightsKey(arrivalHour(T + 300)), "flight:id:FL_NEXT", "FL_IN,FL_GONE");
    await redis.hset(dueNextFlightsKey(arrivalHour(T - 200)), "flight:id:FL_NEXT", "FL_OTHER_HOUR");
    await redis.del("work:marks");
    assert.deepEqual((await upsertFlight("FL_NEXT", T + 3600, T + 7200))[3], 0, "the same departure");
    assert.deepEqual((await upsertFlight("FL_NEXT", T + 3600, T + 7800))[3], 0, "only its arrival moved");
    assert.deepEqual((await upsertFlight("FL_NEXT", T + 4200, T + 7800))[3], 2, "the departure moved");
    assert.deepEqual(await marks(), ["FL_IN", String(T * 1000), "FL_OTHER_HOUR", String(T * 1000)]);
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_bags.lua marks the due flights of the old and new itinerary of a bag on a due manifest, and keeps the first mark's time", async () => {
  const { redis, upsertFlight, upsertBag, marks } = await setup();
  try {
    await upsertFlight("FL_A", T - 3600, T + 100);
    await upsertFlight("FL_B", T - 3600, T + 200);
    await upsertFlight("FL_FAR", T + 3600, T + 7200);
    // The scanner read BAG_1 and BAG_2 for a due flight's work (FL_A's manifest): BAG_1 before it was stored.
    await redis.sadd(dueBagsKey(arrivalHour(T + 100)), "bag:id:BAG_1", "bag:id:BAG_2");
    await redis.del("work:marks");
    assert.deepEqual((await upsertBag("BAG_3", ["FL_A"]))[3], 0, "a bag on no due flight's manifest");
    assert.deepEqual((await upsertBag("BAG_2", ["FL_FAR"]))[3], 0, "a bag whose itinerary has no due flight");
    await redis.zadd("work:marks", T * 1000 - 500, "FL_A");
    assert.deepEqual((await upsertBag("BAG_1", ["FL_A", "FL_FAR"]))[3], 0, "a late itinerary, FL_A marked already");
    assert.deepEqual(await marks(), ["FL_A", String(T * 1000 - 500)]);
    await redis.del("work:marks");
    assert.deepEqual((await upsertBag("BAG_1", ["FL_A", "FL_FAR"]))[3], 0, "the same itinerary");
    // Rerouted from FL_A to FL_B: both flights' work for the bag changes.
    assert.deepEqual((await upsertBag("BAG_1", ["FL_B", "FL_FAR"]))[3], 2, "rerouted");
    assert.deepEqual(await marks(), ["FL_A", String(T * 1000), "FL_B", String(T * 1000)]);
    await redis.del("work:marks");
    // A message without a key applies when no stamp is stored, and then only when its stamp is not older.
    assert.deepEqual((await upsertBag("BAG_1", ["FL_A"], "00000z"))[3], 2, "a stamped message");
    await redis.del("work:marks");
    assert.deepEqual(await upsertBag("BAG_1", ["FL_B"], "00000a"), [1, 1, 0, 0, []], "an older stamped message");
    assert.deepEqual(await marks(), []);
    assert.equal(await redis.hget("bag:id:BAG_1", "flights"), '["FL_A"]');
  } finally {
    await redis.quit();
  }
});

Deno.test("read_due_itineraries.lua reads each bag's itinerary and records it as on a due manifest", async () => {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  try {
    const script = await loadScript(redis, "read_due_itineraries");
    const due = dueBagsKey(arrivalHour(T));
    await redis.hset("bag:id:BAG_1", "flights", '["FL_A","FL_B"]');
    const expiry = T + 7200;
    const replies = await script.run([], [expiry, due, "", "bag:id:BAG_1", "bag:id:BAG_2"]);
    assert.deepEqual(replies, ['["FL_A","FL_B"]', null]);
    assert.deepEqual((await redis.smembers(due)).sort(), ["bag:id:BAG_1", "bag:id:BAG_2"]);
    assert.equal(await redis.expiretime(due), expiry);
  } finally {
    await redis.quit();
  }
});

Deno.test("read_due_departures.lua reads each next flight's departure and records the due flights connecting to it", async () => {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  try {
    const script = await loadScript(redis, "read_due_departures");
    const due = dueNextFlightsKey(arrivalHour(T));
    await redis.hset("flight:id:FL_1", "departure_time", String(T + 3600));
    await redis.hset(due, "flight:id:FL_1", "FL_OLD");
    const expiry = T + 7200;
    const read = (ids: string[]) => script.run([], [expiry, due, "", 2, "flight:id:FL_1", "flight:id:FL_2", ...ids]);
    assert.deepEqual(await read(["FL_A", "FL_A,FL_B"]), [String(T + 3600), null]);
    assert.deepEqual(await redis.hgetall(due), { "flight:id:FL_1": "FL_OLD,FL_A", "flight:id:FL_2": "FL_A,FL_B" });
    await read(["FL_OLD", "FL_B,FL_C"]);
    assert.deepEqual(await redis.hgetall(due), { "flight:id:FL_1": "FL_OLD,FL_A", "flight:id:FL_2": "FL_A,FL_B,FL_C" });
    assert.equal(await redis.expiretime(due), expiry);
  } finally {
    await redis.quit();
  }
});
