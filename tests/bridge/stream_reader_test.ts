import assert from "node:assert/strict";
import { waitFor } from "../../lib/poll.ts";
import { type StreamReaderOptions, type WorkEntry, WorkStreamReader } from "../../lib/stream_reader.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";
import type { Redis } from "ioredis";

const STREAM = "stream:reader-test";

async function addEntries(redis: Redis, count: number) {
  for (let i = 0; i < count; i++) {
    await redis.xadd(
      STREAM,
      "*",
      "flight_id",
      `FL_${i % 3}`,
      "bag_id",
      `BAG_${i}`,
      "arrival_time",
      "1800000000",
      "departure_time",
      "0",
      "next_flight_id",
      "",
      "revision",
      "1",
      "scanned_at",
      "1799999990",
      "partition",
      "0",
      "offset",
      String(i),
    );
  }
}

const options = (consumer: string, extra: Partial<StreamReaderOptions> = {}): StreamReaderOptions => ({
  stream: STREAM,
  group: "sorters",
  consumer,
  startAt: "0",
  claimIdleMs: 200,
  count: 10,
  blockMs: 100,
  ...extra,
});

Deno.test("WorkStreamReader claims and acknowledges the entries a crashed reader left pending", async () => {
  const redis = await freshRedis(testConfig("tail"));
  const reader = new WorkStreamReader(redis.duplicate(), options("second"));
  try {
    await redis.xgroup("CREATE", STREAM, "sorters", "0", "MKSTREAM");
    await addEntries(redis, 30);
    // The first reader receives 10 entries and dies before acknowledging them.
    await redis.xreadgroup("GROUP", "sorters", "crashed", "COUNT", 10, "STREAMS", STREAM, ">");
    assert.equal((await redis.xpending(STREAM, "sorters") as [number])[0], 10);

    const handled: WorkEntry[] = [];
    await reader.start(async (entry) => void handled.push(entry));
    await waitFor(() => handled.length === 30, 10_000, () => `handled ${handled.length}`);
    assert.deepEqual(
      handled.map((entry) => entry.bag_id).sort(),
      Array.from({ length: 30 }, (_, i) => `BAG_${i}`).sort(),
    );
    await waitFor(async () => (await redis.xpending(STREAM, "sorters") as [number])[0] === 0, 5_000);
  } finally {
    await reader.close();
    await redis.quit();
  }
});

Deno.test("WorkStreamReader following one flight hands over only that flight's entries and acknowledges all", async () => {
  const redis = await freshRedis(testConfig("tail"));
  const reader = new WorkStreamReader(redis.duplicate(), options("follower", { flightId: "FL_1" }));
  try {
    await addEntries(redis, 30);
    const handled: WorkEntry[] = [];
    await reader.start(async (entry) => void handled.push(entry));
    await waitFor(async () => {
      const groups = await redis.xinfo("GROUPS", STREAM) as unknown[][];
      return groups[0]?.[groups[0].indexOf("last-delivered-id") + 1] ===
        (await redis.xrevrange(STREAM, "+", "-", "COUNT", 1))[0]?.[0];
    }, 10_000);
    await waitFor(async () => (await redis.xpending(STREAM, "sorters") as [number])[0] === 0, 5_000);
    assert.equal(handled.length, 10);
    assert.ok(handled.every((entry) => entry.flight_id === "FL_1"));
    assert.deepEqual(handled[0], {
      id: handled[0]!.id,
      flight_id: "FL_1",
      bag_id: "BAG_1",
      arrival_time: 1_800_000_000,
      departure_time: 0,
      next_flight_id: null,
      revision: 1,
      scanned_at: 1_799_999_990,
      partition: 0,
      offset: "1",
    });
  } finally {
    await reader.close();
    await redis.quit();
  }
});
