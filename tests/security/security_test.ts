import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { loadConfig } from "../../lib/infra/config.ts";
import { createKafka } from "../../lib/infra/kafka.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { isolatedEnvironment, produce, testLogger } from "../_helpers/fixtures.ts";
import { startWorker, type WorkerProcess } from "../_helpers/processes.ts";
import { ADMIN_REDIS_URL, SECRETS, securedStack, WORKER_SECURITY_ENV } from "./secured_stack.ts";

const T = Math.floor(Date.now() / 1000);

async function refusal(redis: Redis, command: string, ...args: string[]): Promise<string> {
  try {
    await redis.call(command, ...args);
    return "allowed";
  } catch (error) {
    return (error as Error).message.split(" ")[0]!;
  }
}

Deno.test({
  name:
    "secured stack: workers run against Kafka with SASL SCRAM-SHA-512 and Redis as an ACL user, and never log secrets",
  sanitizeResources: false,
  async fn() {
    securedStack("up");
    const admin = new Redis(ADMIN_REDIS_URL);
    const worker = new Redis(WORKER_SECURITY_ENV.REDIS_URL);
    const workers: WorkerProcess[] = [];
    try {
      assert.equal(await refusal(worker, "FLUSHALL"), "NOPERM");
      assert.equal(await refusal(worker, "CONFIG", "GET", "*"), "NOPERM");
      assert.equal(await refusal(worker, "KEYS", "*"), "NOPERM");
      assert.equal(await refusal(worker, "SET", "elsewhere", "1"), "NOPERM");
      assert.equal(await refusal(worker, "HSET", "flight:id:FL_ACL", "arrival_time", "1"), "allowed");
      const intruder = new Redis(ADMIN_REDIS_URL.replace(SECRETS.redisAdmin, "wrong"), {
        lazyConnect: true,
        retryStrategy: () => null,
      });
      intruder.on("error", () => {});
      assert.equal(await refusal(intruder, "PING"), "WRONGPASS");
      intruder.disconnect();
      await admin.del("flight:id:FL_ACL");

      const env = isolatedEnvironment("flight-consumer", {
        ...WORKER_SECURITY_ENV,
        SCAN_WINDOW_SECONDS: "3600",
        LOG_LEVEL: "debug",
      });
      const config = loadConfig("flight-consumer", env);
      const entries = [
        ["workers/flight_consumer.ts", "-flights"],
        ["workers/bag_consumer.ts", "-bags"],
        ["bridge/bridge.ts", "-bridge"],
      ] as const;
      for (const [script, group] of entries) {
        workers.push(startWorker(script, { ...env, KAFKA_GROUP_ID: `${env.KAFKA_GROUP_ID}${group}` }));
      }

      const kafka = createKafka(config, testLogger());
      await produce(kafka, config.topics.bags, [{ id: "BAG_S", flights: ["FL_S"] }], () => "BAG_S");
      await produce(kafka, config.topics.flights, [{
        id: "FL_S",
        departure_time: T - 600,
        arrival_time: T + 600,
        bags: ["BAG_S"],
      }], () => "FL_S");
      await waitFor(
        async () => (await admin.exists("flight:id:FL_S", "bag:id:BAG_S")) === 2,
        60_000,
        () => workers.map((w) => w.output()).join("\n"),
      );

      const scanner = startWorker("workers/arrival_scanner.ts", env);
      workers.push(scanner);
      await waitFor(async () => (await admin.xlen(config.stream.key)) === 1, 60_000, () => scanner.output());
      const [entry] = await admin.xrange(config.stream.key, "-", "+") as [string, string[]][];
      assert.deepEqual(entry?.[1].slice(0, 4), ["flight_id", "FL_S", "bag_id", "BAG_S"]);

      for (const process of workers) assert.equal(await process.kill("SIGTERM"), 0);
      const output = workers.map((process) => process.output()).join("\n");
      for (const secret of Object.values(SECRETS)) {
        assert.equal(output.includes(secret), false, "a secret appeared in the logs");
      }
      assert.ok(output.includes('"message":"flight-consumer started"'));
    } finally {
      for (const process of workers) await process.kill("SIGKILL");
      admin.disconnect();
      worker.disconnect();
      securedStack("down");
    }
  },
});

Deno.test("a worker given a wrong Redis password stops with a clear error that does not contain the password", async () => {
  securedStack("up");
  try {
    const env = isolatedEnvironment("bag-consumer", {
      ...WORKER_SECURITY_ENV,
      REDIS_URL: "redis://baggage-router:not-the-Pw-123@127.0.0.1:46500",
    });
    const worker = startWorker("workers/bag_consumer.ts", env);
    assert.equal(await worker.exited, 1);
    assert.match(worker.output(), /bag-consumer could not start/);
    assert.match(worker.output(), /WRONGPASS/);
    assert.equal(worker.output().includes("not-the-Pw-123"), false);
  } finally {
    securedStack("down");
  }
});
