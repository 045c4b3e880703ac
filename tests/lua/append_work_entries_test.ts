import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { bridgeOffsetsKey, bridgeRevisionArrivalsKey, bridgeRevisionsKey } from "../../lib/infra/keys.ts";
import { loadScript } from "../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";

const STREAM = "stream:test-append";
const KEYS = [STREAM, bridgeOffsetsKey(STREAM), bridgeRevisionsKey(STREAM), bridgeRevisionArrivalsKey(STREAM)];
const ARRIVAL = 1_800_000_300;

/** One work message's ARGV: header, bag triples, the removed bag ids, then bag and exceptions pairs. */
function message(
  offset: number,
  revision: number,
  bags: [string, number, string][],
  removed: string[],
  exceptions: [string, string][] = [],
): (string | number)[] {
  return [
    offset,
    "FL_1",
    revision,
    ARRIVAL,
    1_800_000_000 + revision,
    bags.length,
    removed.length,
    exceptions.length,
    ...bags.flat(),
    ...removed,
    ...exceptions.flat(),
  ];
}

async function setup() {
  const redis = await freshRedis(testConfig("bridge"));
  const script = await loadScript(redis, "append_work_entries");
  /** Appends `messages` of partition 0 whose chunk ends at `lastOffset`, requiring `required` to be recorded. */
  const append = (messages: (string | number)[][], lastOffset: number, required = -1) =>
    script.run(KEYS, ["work:0", required, lastOffset, 0, "0", 0, "0", ...messages.flat()]);
  const entries = async () =>
    (await redis.xrange(STREAM, "-", "+") as [string, string[]][]).map(([, fields]) => fields);
  return { redis, append, entries };
}

const bagEntry = (bag: string, departure: string, next: string, revision: number, offset: number) => [
  ...["flight_id", "FL_1", "bag_id", bag, "arrival_time", String(ARRIVAL), "departure_time", departure],
  ...["next_flight_id", next, "revision", String(revision), "scanned_at", String(1_800_000_000 + revision)],
  ...["partition", "0", "offset", String(offset)],
];
const removalEntry = (bag: string, revision: number, offset: number) => [
  ...["flight_id", "FL_1", "bag_id", bag, "arrival_time", String(ARRIVAL), "removed", "1"],
  ...["revision", String(revision), "scanned_at", String(1_800_000_000 + revision), "partition", "0"],
  ...["offset", String(offset)],
];

async function bridgeState(redis: Redis) {
  return {
    offsets: await redis.hgetall(KEYS[1]!),
    revisions: await redis.hgetall(KEYS[2]!),
  };
}

Deno.test("append_work_entries.lua appends an entry per bag, then one with removed = 1 per removed bag", async () => {
  const { redis, append, entries } = await setup();
  try {
    const first = message(0, 1, [["BAG_A", 1_800_007_200, "FL_NEXT"], ["BAG_B", 0, ""]], []);
    assert.deepEqual(await append([first], 0), [1, 1, 2, 0]);
    const second = message(1, 2, [["BAG_A", 1_800_007_260, "FL_NEXT"]], ["BAG_B"]);
    assert.deepEqual(await append([second], 1), [1, 1, 2, 0], "one bag entry and one removal entry");
    const emptied = message(2, 3, [], ["BAG_A"]);
    assert.deepEqual(await append([emptied], 2), [1, 1, 1, 0], "a flight left with no bags");
    assert.deepEqual(await entries(), [
      bagEntry("BAG_A", "1800007200", "FL_NEXT", 1, 0),
      bagEntry("BAG_B", "0", "", 1, 0),
      bagEntry("BAG_A", "1800007260", "FL_NEXT", 2, 1),
      removalEntry("BAG_B", 2, 1),
      removalEntry("BAG_A", 3, 2),
    ]);
    assert.deepEqual(await bridgeState(redis), { offsets: { "work:0": "2" }, revisions: { FL_1: "3" } });
  } finally {
    await redis.quit();
  }
});

Deno.test("append_work_entries.lua skips the removals of a redelivery, a duplicate publication and a stale revision", async () => {
  const { redis, append, entries } = await setup();
  try {
    const revision2 = message(0, 2, [["BAG_A", 0, ""]], ["BAG_B", "BAG_C"]);
    assert.deepEqual(await append([revision2], 0), [1, 1, 3, 0]);
    const before = await entries();
    assert.deepEqual(await append([revision2], 0, 0), [1, 0, 0, 0], "a redelivered offset is not even handled");
    const republished = message(1, 2, [["BAG_A", 0, ""]], ["BAG_B", "BAG_C"]);
    const stale = message(2, 1, [["BAG_A", 0, ""], ["BAG_B", 0, ""]], []);
    assert.deepEqual(await append([republished, stale], 2, 0), [1, 2, 0, 5], "removals count as duplicates");
    assert.deepEqual(await entries(), before);
    assert.deepEqual(await bridgeState(redis), { offsets: { "work:0": "2" }, revisions: { FL_1: "2" } });
  } finally {
    await redis.quit();
  }
});

Deno.test("append_work_entries.lua writes no removal when Redis is behind the required offset", async () => {
  const { redis, append, entries } = await setup();
  try {
    const removal = message(5, 2, [], ["BAG_B"]);
    assert.deepEqual(await append([removal], 5, 4), [-20, -1, 0, 0]);
    assert.deepEqual(await entries(), []);
    assert.deepEqual(await bridgeState(redis), { offsets: {}, revisions: {} });
  } finally {
    await redis.quit();
  }
});

Deno.test("append_work_entries.lua adds the exceptions of a bag that has some (RUSH, PRIO) to its entry", async () => {
  const { redis, append, entries } = await setup();
  try {
    const bags: [string, number, string][] = [["0125728359", 1_800_007_200, "BA0282-2027-01-15"], [
      "0125728360",
      0,
      "",
    ]];
    await append([message(0, 1, bags, [], [["0125728359", "RUSH,PRIO"]])], 0);
    assert.deepEqual(await entries(), [
      [...bagEntry("0125728359", "1800007200", "BA0282-2027-01-15", 1, 0), "exceptions", "RUSH,PRIO"],
      bagEntry("0125728360", "0", "", 1, 0),
    ]);
  } finally {
    await redis.quit();
  }
});
