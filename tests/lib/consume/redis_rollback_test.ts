/**
 * Consumers against a Redis with real persistence that goes back in time: restarted from an older RDB
 * snapshot (as after an RDB restore or a failover to a lagging replica), or SIGKILLed with
 * `appendfsync everysec` (as after a crash). Each run must end exactly as an uninterrupted one.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { waitForInputCaughtUp } from "../../../lib/scan/input_catch_up.ts";
import { restoreWorkStateIfLost } from "../../../lib/scan/work_state_restore.ts";
import {
  freshRedis,
  isolatedEnvironment,
  metricValue,
  produce,
  readTopic,
  testKafka,
  testLogger,
} from "../../_helpers/fixtures.ts";
import { OwnRedis } from "../../_helpers/own_redis.ts";
import { createScanner, startConsumers } from "../../_helpers/pipeline.ts";
import { appliedMessages, snapshot } from "../../_helpers/redis_state.ts";

const T = Math.floor(Date.now() / 1000);
const byId = (value: unknown) => (value as { id: string }).id;

function traffic(from: number, count: number) {
  const flights = Array.from({ length: count / 50 }, (_, i) => ({
    id: `FL_${from / 50 + i}`,
    departure_time: T + i,
    arrival_time: T + 3600 + i,
    bags: [],
  }));
  const bags = Array.from({ length: count }, (_, i) => ({ id: `BAG_${from + i}`, flights: [`FL_${(from + i) % 97}`] }));
  return { flights, bags };
}

async function withOwnRedis(persistence: "none" | "aof", test: (own: OwnRedis) => Promise<void>) {
  const own = await OwnRedis.start(persistence);
  try {
    await test(own);
  } finally {
    await own.remove();
  }
}

async function applied(redis: Awaited<ReturnType<typeof freshRedis>>, topic: string) {
  return await appliedMessages(redis, topic);
}

Deno.test("consumers replay what Redis lost when it restarts from an older RDB snapshot, with no new traffic", async () => {
  await withOwnRedis("none", async (own) => {
    const config = loadConfig("bag-consumer", isolatedEnvironment("bag-consumer", { REDIS_URL: own.url }));
    const redis = await freshRedis(config);
    const consumers = await startConsumers(config);
    const kafka = testKafka(config);
    try {
      const first = traffic(0, 2000);
      await produce(kafka, config.topics.flights, first.flights, byId);
      await produce(kafka, config.topics.bags, first.bags, byId);
      await waitFor(async () => await applied(redis, config.topics.bags) === 2000, 30_000);
      await redis.save();
      const second = traffic(2000, 2000);
      await produce(kafka, config.topics.flights, second.flights, byId);
      await produce(kafka, config.topics.bags, second.bags, byId);
      await waitFor(async () => await applied(redis, config.topics.bags) === 4000, 30_000);
      const uninterrupted = await snapshot(redis);

      await own.restart();
      assert.equal(await redis.get("bag:count"), "2000", "Redis came back from the snapshot taken at 2,000 bags");
      await waitFor(
        async () => JSON.stringify(await snapshot(redis)) === JSON.stringify(uninterrupted),
        30_000,
        () => "Redis did not get back to the uninterrupted state",
      );
      assert.deepEqual(await snapshot(redis), uninterrupted);
      const resyncs = (topic: string, reason: string) =>
        metricValue(
          topic === config.topics.bags ? consumers.bagRegistry : consumers.flightRegistry,
          "redis_state_resyncs_total",
          { topic, reason },
        );
      assert.ok(await resyncs(config.topics.bags, "rollback") >= 1, "the bag consumer counted a rollback");
      assert.ok(await resyncs(config.topics.flights, "rollback") >= 1, "the flight consumer counted a rollback");
      assert.equal(await resyncs(config.topics.bags, "state_lost"), 0);
    } finally {
      await consumers.close();
      await redis.quit();
    }
  });
});

Deno.test("consumers started after Redis came back from an older snapshot replay from its record (Kafka committed more)", async () => {
  await withOwnRedis("none", async (own) => {
    const config = loadConfig("bag-consumer", isolatedEnvironment("bag-consumer", { REDIS_URL: own.url }));
    const redis = await freshRedis(config);
    const kafka = testKafka(config);
    try {
      const first = traffic(0, 1000);
      const second = traffic(1000, 1000);
      let consumers = await startConsumers(config);
      try {
        await produce(kafka, config.topics.bags, first.bags, byId);
        await waitFor(async () => await applied(redis, config.topics.bags) === 1000, 30_000);
        await redis.save();
        await produce(kafka, config.topics.bags, second.bags, byId);
        await waitFor(async () => await applied(redis, config.topics.bags) === 2000, 30_000);
      } finally {
        await consumers.close();
      }
      const uninterrupted = await snapshot(redis);
      await own.restart();
      assert.equal(await redis.get("bag:count"), "1000");

      consumers = await startConsumers(config);
      try {
        await waitFor(
          async () => JSON.stringify(await snapshot(redis)) === JSON.stringify(uninterrupted),
          30_000,
          () => "Redis did not get back to the uninterrupted state",
        );
        assert.deepEqual(await snapshot(redis), uninterrupted);
        assert.ok(
          await metricValue(consumers.bagRegistry, "redis_state_resyncs_total", {
            topic: config.topics.bags,
            reason: "rollback",
          }) >= 1,
        );
      } finally {
        await consumers.close();
      }
    } finally {
      await redis.quit();
    }
  });
});

Deno.test("consumers end exactly as an uninterrupted run when Redis with appendfsync everysec is SIGKILLed under load", async () => {
  await withOwnRedis("aof", async (own) => {
    const config = loadConfig("bag-consumer", isolatedEnvironment("bag-consumer", { REDIS_URL: own.url }));
    const redis = await freshRedis(config);
    const consumers = await startConsumers(config);
    const kafka = testKafka(config);
    try {
      const all = traffic(0, 20_000);
      // Produced in slices while Redis is killed, so that the consumers are writing when it dies.
      const producing = (async () => {
        for (let start = 0; start < all.bags.length; start += 1000) {
          await produce(kafka, config.topics.bags, all.bags.slice(start, start + 1000), byId);
        }
      })();
      await waitFor(async () => await applied(redis, config.topics.bags) >= 5000, 60_000);
      await own.crashAndRestart();
      await producing;
      await waitFor(async () => await applied(redis, config.topics.bags) === all.bags.length, 60_000);
      const expected: Record<string, unknown> = { "bag:count": String(all.bags.length) };
      for (const bag of all.bags) expected[`bag:id:${bag.id}`] = { flights: JSON.stringify(bag.flights) };
      assert.deepEqual(await snapshot(redis, "bag:*"), expected);
    } finally {
      await consumers.close();
      await redis.quit();
    }
  });
});

Deno.test("after Redis came back from an older snapshot, the next correction gets a new revision, never a published one", async () => {
  await withOwnRedis("none", async (own) => {
    const config = loadConfig("arrival-scanner", isolatedEnvironment("arrival-scanner", { REDIS_URL: own.url }));
    const redis = await freshRedis(config);
    const kafka = testKafka(config);
    const consumers = await startConsumers(config);
    const scanner = await createScanner(config);
    const logger = testLogger();
    // What the scanner process does on each tick (lib/arrival_scanner.ts).
    const scanOnce = async (now: number) => {
      const input = [config.topics.flights, config.topics.bags].map((topic) => ({ topic, dataPattern: "" }));
      assert.equal(await waitForInputCaughtUp(kafka, redis, input, 30_000), "caught-up");
      await restoreWorkStateIfLost({ redis, kafka, config, logger }, now);
      return await scanner.scan.scan(now);
    };
    const next = (departure: number) => ({
      id: "FL_NEXT",
      departure_time: departure,
      arrival_time: departure + 3600,
      bags: [],
    });
    try {
      await produce(kafka, config.topics.flights, [{
        id: "FL_IN",
        departure_time: T - 3000,
        arrival_time: T + 300,
        bags: ["BAG_1"],
      }], byId);
      await produce(kafka, config.topics.bags, [{ id: "BAG_1", flights: ["FL_IN", "FL_NEXT"] }], byId);
      assert.equal((await scanOnce(T)).published, 1);
      await redis.save();
      await produce(kafka, config.topics.flights, [next(T + 7200)], byId);
      assert.equal((await scanOnce(T + 1)).published, 1);

      await own.restart();
      await produce(kafka, config.topics.flights, [next(T + 9000)], byId);
      assert.equal((await scanOnce(T + 2)).published, 1);

      const work = await readTopic(kafka, config.topics.work, 3);
      assert.deepEqual(
        work.map((message) => JSON.parse(message.value!)).map((w) => [w.revision, w.bags.BAG_1]),
        [[1, -3], [2, T + 7200], [3, T + 9000]],
      );
    } finally {
      await scanner.close();
      await consumers.close();
      await redis.quit();
    }
  });
});
