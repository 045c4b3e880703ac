/**
 * The scanner's change path: an upsert that changes a due flight's work reaches the stream as its next
 * revision within a second; a replay publishes nothing; replicas publish each revision once; marks popped by
 * a scanner that died are made good by the sweep.
 */
import assert from "node:assert/strict";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { FlightWork } from "../../../lib/domain/work.ts";
import { type Config, loadConfig } from "../../../lib/infra/config.ts";
import type { RedisClient } from "../../../lib/infra/redis.ts";
import { deleteMarks, type MarkQueue, markQueues } from "../../../lib/scan/mark_queues.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { toWorkEntry } from "../../../lib/stream/stream_reader.ts";
import { startBridge } from "../../../lib/stream/work_bridge.ts";
import { testClientContext } from "../../_helpers/context.ts";
import { type Topology, topologyTest } from "../../_helpers/topologies.ts";
import { isolatedEnvironment, produce, readTopic, testKafka } from "../../_helpers/fixtures.ts";
import { createScanner, startConsumers } from "../../_helpers/pipeline.ts";

const T = Math.floor(Date.now() / 1000);
const byId = (value: unknown) => (value as { id: string }).id;
const inbound = { id: "FL_IN", departure_time: T - 3600, arrival_time: T + 300, bags: ["BAG_1", "BAG_2"] };
const onward = { id: "FL_NEXT", departure_time: T + 3600, arrival_time: T + 7200, bags: ["BAG_1"] };
// Every flight has a bag: the stream holds one entry per bag, so a flight without bags never shows there.
const other = { id: "FL_OTHER", departure_time: T - 3600, arrival_time: T + 400, bags: ["BAG_9"] };

/** Consumers, a scanner following changes and a bridge, in-process, on topics and a stream of their own. */
async function pipeline(topology: Topology, replicas = 1) {
  const env = isolatedEnvironment("arrival-scanner", { SCAN_MARKS_BATCH_MS: "100", ...topology.env });
  const config = loadConfig("arrival-scanner", env);
  const redis = await topology.freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(loadConfig("flight-consumer", env));
  const scanners = await Promise.all(Array.from({ length: replicas }, () => createScanner(config)));
  const bridgeContext = await testClientContext(loadConfig("bridge", env));
  const bridge = await startBridge(bridgeContext);
  const send = async (topic: "flights" | "bags", values: unknown[]) =>
    await produce(kafka, config.topics[topic], values, byId);
  return {
    config,
    redis,
    kafka,
    env,
    scanners,
    send,
    close: async () => {
      await Promise.all(scanners.map((scanner) => scanner.close()));
      await bridge.close();
      await bridgeContext.closeContext();
      await consumers.close();
      await redis.quit();
    },
  };
}

/** The highest revision of `flightId` on the stream, and its entries' departures by bag. */
async function latestOnStream(redis: RedisClient, config: Config, flightId: string) {
  const entries = (await redis.xrange(config.stream.key, "-", "+") as [string, string[]][])
    .map(toWorkEntry)
    .filter((entry) => entry.flight_id === flightId);
  const revision = Math.max(0, ...entries.map((entry) => entry.revision));
  const latest = entries.filter((entry) => entry.revision === revision);
  return {
    revision,
    arrival: latest[0]?.arrival_time,
    departures: Object.fromEntries(latest.map((entry) => [entry.bag_id, entry.departure_time])),
  };
}

/** Waits until Redis holds `applied`, then returns the milliseconds until the stream has `revision` of FL_IN. */
async function msToRevision(redis: RedisClient, config: Config, applied: () => Promise<boolean>, revision: number) {
  await waitFor(applied, 20_000, () => "the consumers did not apply the change");
  const start = performance.now();
  await waitFor(
    async () => (await latestOnStream(redis, config, "FL_IN")).revision >= revision,
    20_000,
    () => `revision ${revision} did not reach the stream`,
  );
  return performance.now() - start;
}

topologyTest(
  "a delay, a new bag, a late itinerary and a moved next departure each reach the stream as the next revision within a second",
  async (topology) => {
    const run = await pipeline(topology);
    const { redis, config, send } = run;
    try {
      await send("flights", [inbound, onward]);
      await send("bags", [{ id: "BAG_1", flights: ["FL_IN", "FL_NEXT"] }]);
      await waitFor(
        async () => (await stored(redis, "flight:id:FL_IN", "flight:id:FL_NEXT", "bag:id:BAG_1")),
        20_000,
      );
      const [scanner] = run.scanners;
      assert.equal((await scanner!.scan.scan(T)).published, 1);
      await scanner!.follow(T);
      await waitFor(async () => (await latestOnStream(redis, config, "FL_IN")).revision === 1, 20_000);

      await send("flights", [{ ...inbound, arrival_time: T + 360 }]);
      const delay = await msToRevision(
        redis,
        config,
        async () => await redis.hget("flight:id:FL_IN", "arrival_time") === String(T + 360),
        2,
      );
      assert.equal((await latestOnStream(redis, config, "FL_IN")).arrival, T + 360);

      await send("flights", [{ ...inbound, arrival_time: T + 360, bags: ["BAG_1", "BAG_2", "BAG_3"] }]);
      const newBag = await msToRevision(
        redis,
        config,
        async () => (await redis.hget("flight:id:FL_IN", "bags"))!.includes("BAG_3"),
        3,
      );
      assert.equal((await latestOnStream(redis, config, "FL_IN")).departures.BAG_3, -1);

      await send("bags", [{ id: "BAG_2", flights: ["FL_IN"] }]);
      const itinerary = await msToRevision(redis, config, async () => await redis.exists("bag:id:BAG_2") === 1, 4);
      assert.equal((await latestOnStream(redis, config, "FL_IN")).departures.BAG_2, 0);

      await send("flights", [{ ...onward, departure_time: T + 4200 }]);
      const departure = await msToRevision(
        redis,
        config,
        async () => await redis.hget("flight:id:FL_NEXT", "departure_time") === String(T + 4200),
        5,
      );
      assert.deepEqual((await latestOnStream(redis, config, "FL_IN")).departures, {
        BAG_1: T + 4200,
        BAG_2: 0,
        BAG_3: -1,
      });

      const latencies = { delay, newBag, itinerary, departure };
      for (const [change, ms] of Object.entries(latencies)) assert.ok(ms < 1000, `${change}: ${Math.round(ms)} ms`);
      assert.equal(await observations(scanner!.registry, "work_change_to_publish_seconds"), 4);
    } finally {
      await run.close();
    }
  },
);

topologyTest(
  "a replay and a message with the same content publish nothing; two following replicas publish each revision once",
  async (topology) => {
    const run = await pipeline(topology, 2);
    const { redis, config, send, kafka } = run;
    try {
      await send("flights", [inbound, other]);
      await waitFor(async () => (await stored(redis, "flight:id:FL_IN", "flight:id:FL_OTHER")), 20_000);
      assert.equal((await run.scanners[0]!.scan.scan(T)).published, 2);
      for (const scanner of run.scanners) await scanner.follow(T);
      // The same content again (a producer's retry), and the consumers of a new group replaying both topics.
      await send("flights", [inbound]);
      const replayConfig = loadConfig("flight-consumer", {
        ...isolatedEnvironment("flight-consumer", topology.env),
        ...sameTopics(config),
      });
      const replay = await startConsumers(replayConfig);
      try {
        await waitFor(() => caughtUp(kafka, `${replayConfig.kafka.groupId}-flights`, config.topics.flights), 30_000);
        // A real change after them: once it is on the stream, anything the replay marked has been handled too.
        for (let delay = 1; delay <= 3; delay++) {
          await send("flights", [{ ...other, arrival_time: T + 400 + 60 * delay }]);
          await waitFor(async () => (await latestOnStream(redis, config, "FL_OTHER")).revision === 1 + delay, 20_000);
        }
      } finally {
        await replay.close();
      }
      assert.equal((await latestOnStream(redis, config, "FL_IN")).revision, 1, "no revision for FL_IN's replays");
      const messages = await readTopic(kafka, config.topics.work, 5);
      const revisions = messages.map((message) => {
        const work = JSON.parse(message.value!) as FlightWork;
        return `${work.id}#${work.revision}`;
      }).sort();
      assert.deepEqual(revisions, ["FL_IN#1", "FL_OTHER#1", "FL_OTHER#2", "FL_OTHER#3", "FL_OTHER#4"]);
    } finally {
      await run.close();
    }
  },
);

topologyTest("marks taken by a scanner that died before publishing are made good by the sweep", async (topology) => {
  const run = await pipeline(topology);
  const { redis, config, send } = run;
  try {
    await send("flights", [inbound]);
    await waitFor(async () => await redis.exists("flight:id:FL_IN") === 1, 20_000);
    const [scanner] = run.scanners;
    assert.equal((await scanner!.scan.scan(T)).published, 1);
    // The mark FL_IN's arrival left is covered by that scan.
    await deleteMarks(redis);
    await send("flights", [{ ...inbound, arrival_time: T + 330 }]);
    await waitFor(async () => await redis.hget("flight:id:FL_IN", "arrival_time") === String(T + 330), 20_000);
    const queue = await waitFor(() => queueMarking(redis, "FL_IN"), 20_000) as MarkQueue;
    // A replica pops the mark and dies before its rescan.
    assert.deepEqual((await queue.node.zpopmin(queue.key, 10))[0], "FL_IN");
    await scanner!.follow(T);
    // The next sweep (or the restart's first scan) finds the change all the same.
    const sweep = await scanner!.scan.scan(T + 1);
    assert.equal(sweep.published, 1);
    await waitFor(async () => (await latestOnStream(redis, config, "FL_IN")).revision === 2, 20_000);
  } finally {
    await run.close();
  }
});

topologyTest(
  "a flight is first published within a second of entering the window, not at the next sweep",
  async (topology) => {
    const run = await pipeline(topology);
    const { redis, config, send } = run;
    try {
      const [scanner] = run.scanners;
      const entry = Date.now() / 1000 + 8;
      // It enters the window (arrival minus SCAN_WINDOW_SECONDS) eight seconds from now.
      const soon = {
        id: "FL_IN",
        departure_time: T - 3600,
        arrival_time: entry + config.scan.windowSeconds,
        bags: ["BAG_1"],
      };
      await send("flights", [soon]);
      await waitFor(async () => await redis.exists("flight:id:FL_IN") === 1, 20_000);
      const scannedAt = Date.now() / 1000;
      assert.equal((await scanner!.scan.scan(scannedAt)).published, 0, "not due yet");
      await scanner!.follow(scannedAt);
      await waitFor(async () => (await latestOnStream(redis, config, "FL_IN")).revision === 1, 20_000);
      const [work] = await readTopic(run.kafka, config.topics.work, 1);
      const publishedAt = (JSON.parse(work!.value!) as FlightWork).scanned_at;
      assert.ok(
        publishedAt >= entry && publishedAt < entry + 1,
        `published ${(publishedAt - entry).toFixed(3)} s after entry`,
      );
      assert.equal(await observations(scanner!.registry, "work_publish_lead_seconds"), 1);
    } finally {
      await run.close();
    }
  },
);

/** Whether every one of `keys` is stored (one EXISTS each: on a cluster they are on different slots). */
async function stored(redis: RedisClient, ...keys: string[]): Promise<boolean> {
  for (const key of keys) if (await redis.exists(key) === 0) return false;
  return true;
}

/** The queue of change marks (mark_queues.ts) that holds a mark of `flightId`, false while none does. */
async function queueMarking(redis: RedisClient, flightId: string): Promise<MarkQueue | false> {
  for (const queue of markQueues(redis)) if (await queue.node.zscore(queue.key, flightId) !== null) return queue;
  return false;
}

/** The topic names of `config`, for a second set of consumers on the same data. */
function sameTopics(config: Config): Record<string, string> {
  return { FLIGHTS_TOPIC: config.topics.flights, BAGS_TOPIC: config.topics.bags, WORK_TOPIC: config.topics.work };
}

/** Whether consumer group `group` has committed every partition of `topic` up to its end. */
async function caughtUp(kafka: Kafka, group: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const at = new Map((committed?.partitions ?? []).map((entry) => [entry.partition, entry.offset]));
    // A partition with no message has nothing to commit.
    return ends.every((end) => end.high === "0" || at.get(end.partition) === end.high);
  } finally {
    await admin.disconnect();
  }
}

/** How many times the histogram `name` of `registry` observed. */
async function observations(registry: Registry, name: string): Promise<number> {
  const { values } = await registry.getSingleMetric(name)!.get();
  return values.find((value) => (value as { metricName?: string }).metricName === `${name}_count`)?.value ?? 0;
}
