import assert from "node:assert/strict";
import pino from "pino";
import type { Logger } from "../../../lib/infra/log.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { type StreamReaderOptions, type WorkEntry, WorkStreamReader } from "../../../lib/stream/stream_reader.ts";
import { freshRedis, testConfig, testLogger } from "../../_helpers/fixtures.ts";
import type { Redis } from "ioredis";

const STREAM = "stream:reader-test";

/** Adds `count` entries for the bags BAG_<first> to BAG_<first + count - 1>. */
async function addEntries(redis: Redis, count: number, first = 0) {
  for (let i = first; i < first + count; i++) {
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

/** A logger that keeps its lines, parsed, for assertions. */
function capturedLogs(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug", messageKey: "message" }, {
    write: (line: string) => void lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

const pendingEntries = async (redis: Redis) =>
  (await redis.xpending(STREAM, "sorters", "-", "+", 100) as [string, string, number, number][])
    .map(([id, consumer, , deliveries]) => ({ id, consumer, deliveries }));

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
  const reader = new WorkStreamReader(redis.duplicate(), options("second"), testLogger("tail"));
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
  const reader = new WorkStreamReader(redis.duplicate(), options("follower", { flightId: "FL_1" }), testLogger("tail"));
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
      removed: false,
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

Deno.test("WorkStreamReader recreates its group after NOGROUP and reads the entries added afterwards", async () => {
  const redis = await freshRedis(testConfig("tail"));
  const logs = capturedLogs();
  const reader = new WorkStreamReader(redis.duplicate(), options("survivor"), logs.logger);
  try {
    await addEntries(redis, 3);
    const handled: string[] = [];
    await reader.start(async (entry) => void handled.push(entry.bag_id));
    await waitFor(() => handled.length === 3, 10_000, () => `handled ${handled}`);

    // What a Redis restarted without persistence leaves: no stream, no group. The bridge then appends again.
    await redis.del(STREAM);
    await addEntries(redis, 4, 100);
    await waitFor(() => handled.length === 7, 10_000, () => `handled ${handled}`);
    assert.deepEqual(handled, ["BAG_0", "BAG_1", "BAG_2", "BAG_100", "BAG_101", "BAG_102", "BAG_103"]);
    await waitFor(async () => (await pendingEntries(redis)).length === 0, 5_000);
    const groups = await redis.xinfo("GROUPS", STREAM) as unknown[][];
    assert.deepEqual(groups.map((group) => group[group.indexOf("name") + 1]), ["sorters"]);
    const recreated = logs.lines.filter((line) => line.message === "consumer group missing; recreated it");
    assert.equal(recreated.length, 1);
    assert.deepEqual(
      { stream: recreated[0]!.stream, group: recreated[0]!.group, start_at: recreated[0]!.start_at },
      { stream: STREAM, group: "sorters", start_at: "0" },
    );
  } finally {
    await reader.close();
    await redis.quit();
  }
});

Deno.test("WorkStreamReader keeps an entry pending when its handler throws and handles it again", async () => {
  const redis = await freshRedis(testConfig("tail"));
  const logs = capturedLogs();
  // Long enough that the checks below run before the failed entry is claimed again.
  const reader = new WorkStreamReader(redis.duplicate(), options("flaky", { claimIdleMs: 1_500 }), logs.logger);
  try {
    await addEntries(redis, 3);
    const ids = (await redis.xrange(STREAM, "-", "+")).map(([id]) => id);
    const calls: string[] = [];
    let failing = true;
    await reader.start(async (entry) => {
      calls.push(entry.bag_id);
      if (entry.bag_id === "BAG_1" && failing) throw new Error("sorter offline");
    });
    await waitFor(() => calls.length === 3, 10_000, () => `calls ${calls}`);
    await waitFor(async () => (await pendingEntries(redis)).length === 1, 5_000);
    assert.deepEqual(calls, ["BAG_0", "BAG_1", "BAG_2"]);
    assert.deepEqual(await pendingEntries(redis), [{ id: ids[1], consumer: "flaky", deliveries: 1 }]);
    const failures = logs.lines.filter((line) => line.message === "work entry handler failed; the entry stays pending");
    assert.deepEqual(
      failures.map(({ entry_id, bag_id, err }) => ({ entry_id, bag_id, err })),
      [{ entry_id: ids[1], bag_id: "BAG_1", err: "sorter offline" }],
    );

    // The loop goes on with new entries while the failed one waits.
    await addEntries(redis, 1, 3);
    await waitFor(() => calls.length === 4, 10_000, () => `calls ${calls}`);
    assert.deepEqual(calls, ["BAG_0", "BAG_1", "BAG_2", "BAG_3"]);

    // Once the handler works again, the entry is claimed after claimIdleMs, handled and acknowledged.
    failing = false;
    await waitFor(() => calls.length === 5, 10_000, () => `calls ${calls}`);
    assert.deepEqual(calls, ["BAG_0", "BAG_1", "BAG_2", "BAG_3", "BAG_1"]);
    await waitFor(async () => (await pendingEntries(redis)).length === 0, 5_000);
  } finally {
    await reader.close();
    await redis.quit();
  }
});
