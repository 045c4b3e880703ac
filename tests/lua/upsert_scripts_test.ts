import assert from "node:assert/strict";
import { orderStamp } from "../../lib/domain/order_stamp.ts";
import { loadScript } from "../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";
import { bagCall, flightCall, NO_MARKS } from "../_helpers/upsert_calls.ts";
import { snapshot } from "../_helpers/redis_state.ts";

Deno.test("upsert_flights.lua stores new flights, counts them once and records the last offset", async () => {
  const redis = await freshRedis(testConfig("flight-consumer"));
  try {
    const script = await loadScript(redis, "upsert_flights");
    const reply = await script.run(...flightCall([
      0,
      -1,
      5,
      ...NO_MARKS,
      3,
      "FL_1",
      1_800_000_000,
      1_800_003_600,
      '["BAG_1"]',
      "-",
      4,
      "FL_2",
      1_800_000_000.5,
      1_800_007_200.25,
      "[]",
      "-",
    ]));
    assert.deepEqual(reply, [1, 2, 2, 0, []]);
    assert.deepEqual(await snapshot(redis), {
      "flight:arrival_times": ["FL_1", "1800003600", "FL_2", "1800007200.25"],
      "flight:count": "2",
      "flight:id:FL_1": { departure_time: "1800000000", arrival_time: "1800003600", bags: '["BAG_1"]' },
      "flight:id:FL_2": { departure_time: "1800000000.5", arrival_time: "1800007200.25", bags: "[]" },
      "offsets:flights": { "0": "5" },
    });
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_flights.lua skips offsets it already applied and updates a known flight without counting it", async () => {
  const redis = await freshRedis(testConfig("flight-consumer"));
  try {
    const script = await loadScript(redis, "upsert_flights");
    await script.run(...flightCall([0, -1, 3, ...NO_MARKS, 3, "FL_1", 1_800_000_000, 1_800_003_600, "[]", "-"]));
    const redelivered = await script.run(...flightCall([
      0,
      3,
      3,
      ...NO_MARKS,
      3,
      "FL_1",
      1_800_000_000,
      1_900_000_000,
      "[]",
      "-",
    ]));
    assert.deepEqual(redelivered, [1, 0, 0, 0, []]);
    const update = await script.run(...flightCall([
      0,
      3,
      4,
      ...NO_MARKS,
      4,
      "FL_1",
      1_800_000_000,
      1_800_004_000,
      '["BAG_2"]',
      "-",
    ]));
    assert.deepEqual(update, [1, 1, 0, 0, []]);
    assert.equal(await redis.get("flight:count"), "1");
    assert.equal(await redis.zscore("flight:arrival_times", "FL_1"), "1800004000");
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_flights.lua answers -20 with -1 and writes nothing when the partition's offset record is gone", async () => {
  const redis = await freshRedis(testConfig("flight-consumer"));
  try {
    const script = await loadScript(redis, "upsert_flights");
    assert.deepEqual(
      await script.run(...flightCall([2, 0, 9, ...NO_MARKS, 9, "FL_1", 1_800_000_000, 1_800_003_600, "[]", "-"])),
      [-20, -1, 0, 0, []],
    );
    assert.deepEqual(await redis.keys("*"), []);
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_flights.lua answers -20 with the record and writes nothing when Redis records less than required", async () => {
  const redis = await freshRedis(testConfig("flight-consumer"));
  try {
    const script = await loadScript(redis, "upsert_flights");
    await script.run(...flightCall([2, -1, 5, ...NO_MARKS, 5, "FL_1", 1_800_000_000, 1_800_003_600, "[]", "-"]));
    const before = await snapshot(redis);
    // The consumer stored up to offset 8, but Redis came back from a snapshot taken at offset 5.
    const reply = await script.run(...flightCall([
      2,
      8,
      9,
      ...NO_MARKS,
      9,
      "FL_2",
      1_800_000_000,
      1_800_003_600,
      "[]",
      "-",
    ]));
    assert.deepEqual(reply, [-20, 5, 0, 0, []]);
    assert.deepEqual(await snapshot(redis), before);
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_bags.lua stores itineraries, [] for none, counts each bag once and skips redeliveries", async () => {
  const redis = await freshRedis(testConfig("bag-consumer"));
  try {
    const script = await loadScript(redis, "upsert_bags");
    assert.deepEqual(
      await script.run(
        ...bagCall(["BAG_1", "BAG_2", "BAG_1"], [
          1,
          -1,
          12,
          "10,11,12",
          "",
          ...NO_MARKS,
          '["FL_1"]',
          "[]",
          '["FL_1","FL_2"]',
        ]),
      ),
      [1, 3, 2, 0, []],
    );
    // A whole redelivery changes nothing; a partial one applies only the offsets past the recorded one.
    assert.deepEqual(await script.run(...bagCall(["BAG_1"], [1, 12, 12, "12", "", ...NO_MARKS, '["FL_9"]'])), [
      1,
      0,
      0,
      0,
      [],
    ]);
    assert.deepEqual(
      await script.run(...bagCall(["BAG_2", "BAG_3"], [1, 12, 14, "11,14", "", ...NO_MARKS, '["FL_8"]', '["FL_3"]'])),
      [1, 1, 1, 0, []],
    );
    assert.deepEqual(await script.run(...bagCall(["BAG_1"], [3, 0, 0, "0", "", ...NO_MARKS, "[]"])), [
      -20,
      -1,
      0,
      0,
      [],
    ]);
    assert.deepEqual(await script.run(...bagCall(["BAG_1"], [1, 15, 16, "16", "", ...NO_MARKS, "[]"])), [
      -20,
      14,
      0,
      0,
      [],
    ]);
    assert.deepEqual(await snapshot(redis), {
      "bag:count": "3",
      "bag:id:BAG_1": { flights: '["FL_1","FL_2"]' },
      "bag:id:BAG_2": { flights: "[]" },
      "bag:id:BAG_3": { flights: '["FL_3"]' },
      "offsets:bags": { "1": "14" },
    });
  } finally {
    await redis.quit();
  }
});

Deno.test("LuaScript.run() reloads a script that Redis forgot (NOSCRIPT after SCRIPT FLUSH)", async () => {
  const redis = await freshRedis(testConfig("bag-consumer"));
  try {
    const script = await loadScript(redis, "upsert_bags");
    await redis.script("FLUSH");
    assert.deepEqual(await redis.script("EXISTS", script.sha), [0]);
    assert.deepEqual(await script.run(...bagCall(["BAG_1"], [0, -1, 0, "0", "", ...NO_MARKS, "[]"])), [1, 1, 1, 0, []]);
    assert.deepEqual(await redis.script("EXISTS", script.sha), [1]);
  } finally {
    await redis.quit();
  }
});

Deno.test("upsert_bags.lua and upsert_flights.lua apply a message without a key only when its stamp is not older than the stored one", async () => {
  const redis = await freshRedis(testConfig("bag-consumer"));
  try {
    const bags = await loadScript(redis, "upsert_bags");
    const flights = await loadScript(redis, "upsert_flights");
    const newer = orderStamp("1800000001000", 1, "7");
    const older = orderStamp("1800000000000", 0, "9");
    // The newer update, from partition 1, is applied first; the older one, from partition 0, comes after.
    assert.deepEqual(await bags.run(...bagCall(["BAG_1"], [1, -1, 7, "7", newer, ...NO_MARKS, '["FL_NEW"]'])), [
      1,
      1,
      1,
      0,
      [],
    ]);
    assert.deepEqual(await bags.run(...bagCall(["BAG_1"], [0, -1, 9, "9", older, ...NO_MARKS, '["FL_OLD"]'])), [
      1,
      1,
      0,
      0,
      [],
    ]);
    assert.deepEqual(await redis.hgetall("bag:id:BAG_1"), { flights: '["FL_NEW"]', stamp: newer });
    await flights.run(...flightCall([
      1,
      -1,
      7,
      ...NO_MARKS,
      7,
      "FL_1",
      1_800_000_000,
      1_800_009_000,
      "[]",
      newer,
    ]));
    await flights.run(...flightCall([
      0,
      -1,
      9,
      ...NO_MARKS,
      9,
      "FL_1",
      1_800_000_000,
      1_800_003_600,
      "[]",
      older,
    ]));
    assert.deepEqual(await snapshot(redis, "flight:*"), {
      "flight:arrival_times": ["FL_1", "1800009000"],
      "flight:count": "1",
      "flight:id:FL_1": { departure_time: "1800000000", arrival_time: "1800009000", bags: "[]", stamp: newer },
    });
    assert.deepEqual(await redis.hgetall("offsets:bags"), { "0": "9", "1": "7" }, "both offsets are handled");
  } finally {
    await redis.quit();
  }
});

Deno.test("orderStamp() compares as a string in timestamp, then partition, then offset order", () => {
  const stamps = [
    orderStamp("1800000000000", 5, "100"),
    orderStamp("1800000000000", 10, "2"),
    orderStamp("1800000000000", 10, "36"),
    orderStamp("1800000000001", 0, "0"),
  ];
  assert.deepEqual([...stamps].sort(), stamps);
  assert.equal(stamps[0]!.length, 25);
});
