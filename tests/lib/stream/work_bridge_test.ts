import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { toWorkEntry, type WorkEntry } from "../../../lib/stream/stream_reader.ts";
import { startBridge } from "../../../lib/stream/work_bridge.ts";
import type { Redis } from "ioredis";
import { testContext } from "../../_helpers/context.ts";
import {
  freshRedis,
  isolatedEnvironment,
  metricValue,
  produce,
  testConfig,
  testKafka,
} from "../../_helpers/fixtures.ts";
import { startWorker, waitUntilStarted } from "../../_helpers/processes.ts";
import { entryIdentity, workMessages } from "../../_helpers/work_messages.ts";
import type { Config } from "../../../lib/infra/config.ts";

const byId = (value: unknown) => (value as { id: string }).id;

async function streamEntries(redis: Redis, stream: string): Promise<WorkEntry[]> {
  const raw = await redis.xrange(stream, "-", "+") as [string, string[]][];
  return raw.map(toWorkEntry);
}

async function startInProcess(config: Config) {
  const context = await testContext(config);
  const bridge = await startBridge(context);
  return { registry: context.registry, close: async () => (await bridge.close(), await context.closeContext()) };
}

Deno.test("bridge mirrors 100 flights' work as exactly 10,000 stream entries with the right fields, in partition order", async () => {
  const config = testConfig("bridge");
  const redis = await freshRedis(config);
  const bridge = await startInProcess(config);
  try {
    const work = workMessages(100, 100);
    await produce(testKafka(config), config.topics.work, work, byId);
    await waitFor(async () => await redis.xlen(config.stream.key) === 10_000, 30_000, () => "stream not complete");
    const entries = await streamEntries(redis, config.stream.key);
    assert.equal(new Set(entries.map(entryIdentity)).size, 10_000);

    const first = entries.find((entry) => entry.bag_id === "BAG_7_0")!;
    assert.deepEqual({ ...first, id: "", partition: 0, offset: "" }, {
      id: "",
      flight_id: "FL_7",
      bag_id: "BAG_7_0",
      arrival_time: 1_800_000_007,
      departure_time: 1_800_007_200,
      next_flight_id: "FL_NEXT_0",
      removed: false,
      revision: 1,
      scanned_at: 1_800_000_060 - 120 + 0.007,
      partition: 0,
      offset: "",
    });
    const final = entries.find((entry) => entry.bag_id === "BAG_7_1")!;
    assert.equal(final.departure_time, -1);
    assert.equal(final.next_flight_id, null);

    const lastOffsetByPartition = new Map<number, number>();
    for (const entry of entries) {
      assert.ok(Number(entry.offset) >= (lastOffsetByPartition.get(entry.partition) ?? -1), "partition order");
      lastOffsetByPartition.set(entry.partition, Number(entry.offset));
    }
    assert.equal(await metricValue(bridge.registry, "bridge_entries_mirrored_total"), 10_000);
    await waitFor(async () => await metricValue(bridge.registry, "work_stream_length") === 10_000, 5_000);
  } finally {
    await bridge.close();
    await redis.quit();
  }
});

Deno.test("bridge appends a work item published twice only once, and skips a stale revision", async () => {
  const config = testConfig("bridge");
  const redis = await freshRedis(config);
  const bridge = await startInProcess(config);
  try {
    const [rev1] = workMessages(1, 3, 1);
    const [rev2] = workMessages(1, 3, 2);
    await produce(testKafka(config), config.topics.work, [rev1, rev1, rev2, rev1], byId);
    await waitFor(async () => await metricValue(bridge.registry, "bridge_work_messages_total") === 4, 20_000);
    const identities = (await streamEntries(redis, config.stream.key)).map(entryIdentity);
    assert.deepEqual(identities, [
      "FL_0/BAG_0_0#1",
      "FL_0/BAG_0_1#1",
      "FL_0/BAG_0_2#1",
      "FL_0/BAG_0_0#2",
      "FL_0/BAG_0_1#2",
      "FL_0/BAG_0_2#2",
    ]);
    assert.equal(await metricValue(bridge.registry, "bridge_duplicates_skipped_total"), 6);
  } finally {
    await bridge.close();
    await redis.quit();
  }
});

Deno.test("bridge forgets the revisions of flights that arrived more than DATA_RETENTION_SECONDS ago", async () => {
  const config = testConfig("bridge", { DATA_RETENTION_SECONDS: "86400" });
  const redis = await freshRedis(config);
  const bridge = await startInProcess(config);
  try {
    const now = Math.floor(Date.now() / 1000);
    const [landedLongAgo, arriving] = workMessages(2, 1);
    const old = { ...landedLongAgo!, arrival_time: now - 2 * 86_400 };
    const recent = { ...arriving!, arrival_time: now + 300 };
    await produce(testKafka(config), config.topics.work, [old, recent], byId);
    await waitFor(async () => await metricValue(bridge.registry, "bridge_work_messages_total") === 2, 20_000);
    // The two flights may sit on different partitions: only the set of entries is fixed, not their order.
    assert.deepEqual((await streamEntries(redis, config.stream.key)).map(entryIdentity).sort(), [
      "FL_0/BAG_0_0#1",
      "FL_1/BAG_1_0#1",
    ]);
    assert.deepEqual(await redis.hgetall(`bridge:revisions:${config.stream.key}`), { FL_1: "1" });
    assert.deepEqual(await redis.zrange(`bridge:revision_arrivals:${config.stream.key}`, 0, -1, "WITHSCORES"), [
      "FL_1",
      String(now + 300),
    ]);
  } finally {
    await bridge.close();
    await redis.quit();
  }
});

Deno.test("two bridge replicas sharing the partitions append every work item exactly once", async () => {
  const config = testConfig("bridge");
  const redis = await freshRedis(config);
  const first = await startInProcess(config);
  const second = await startInProcess(config);
  try {
    await produce(testKafka(config), config.topics.work, workMessages(300, 20), byId);
    await waitFor(async () => await redis.xlen(config.stream.key) >= 6_000, 30_000);
    await waitFor(async () =>
      (await metricValue(first.registry, "bridge_work_messages_total")) +
          (await metricValue(second.registry, "bridge_work_messages_total")) >= 300, 10_000);
    const entries = await streamEntries(redis, config.stream.key);
    assert.equal(entries.length, 6_000);
    assert.equal(new Set(entries.map(entryIdentity)).size, 6_000);
  } finally {
    await first.close();
    await second.close();
    await redis.quit();
  }
});

Deno.test("bridge SIGKILLed three times during a run still leaves exactly one entry per work item", async () => {
  const env = isolatedEnvironment("bridge", {
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    BRIDGE_BATCH_MESSAGES: "2",
    LOG_LEVEL: "info",
  });
  const config = loadConfig("bridge", env);
  const redis = await freshRedis(config);
  try {
    await produce(testKafka(config), config.topics.work, workMessages(600, 50), byId);
    for (let kill = 1; kill <= 3; kill++) {
      const bridge = startWorker("bridge/bridge.ts", env);
      await waitFor(async () => await redis.xlen(config.stream.key) >= kill * 6_000, 60_000, () => bridge.output());
      assert.equal(await bridge.kill("SIGKILL"), null);
    }
    const bridge = startWorker("bridge/bridge.ts", env);
    await waitFor(async () => await redis.xlen(config.stream.key) >= 30_000, 60_000, () => bridge.output());
    // The killed ones may have mirrored everything already: stop this one once it runs, not while it boots.
    await waitUntilStarted(bridge, "bridge");
    assert.equal(await bridge.kill("SIGTERM"), 0);
    const entries = await streamEntries(redis, config.stream.key);
    assert.equal(entries.length, 30_000);
    assert.equal(new Set(entries.map(entryIdentity)).size, 30_000);
  } finally {
    await redis.quit();
  }
});

Deno.test("bridge trims the stream near STREAM_MAXLEN", async () => {
  const config = testConfig("bridge", { STREAM_MAXLEN: "1000" });
  const redis = await freshRedis(config);
  const bridge = await startInProcess(config);
  try {
    await produce(testKafka(config), config.topics.work, workMessages(50, 100), byId);
    await waitFor(async () => await metricValue(bridge.registry, "bridge_entries_mirrored_total") === 5_000, 20_000);
    const length = await redis.xlen(config.stream.key);
    // Approximate trimming removes whole radix-tree nodes (stream-node-max-entries, 100 by default).
    assert.ok(length >= 1_000 && length <= 1_100, `length ${length}`);
  } finally {
    await bridge.close();
    await redis.quit();
  }
});
