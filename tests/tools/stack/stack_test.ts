/**
 * The local stack against the real services: the test stack that `deno task test` started (ports 16379/19092/15432),
 * and a second, throwaway stack on free ports that the `down` test starts and stops.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { ROOT } from "../../../tools/processes.ts";
import { createTopicsIfMissing } from "../../../lib/infra/kafka.ts";
import { pingPostgresOnce } from "../../../lib/infra/postgres.ts";
import { connectRedis, pingRedisOnce } from "../../../lib/infra/redis.ts";
import { environment } from "../../../lib/infra/runtime.ts";
import { isAlive, portInUse } from "../../../tools/stack/daemons.ts";
import { produce, readTopic, uniqueName } from "../../_helpers/fixtures.ts";
import { processesMentioning, runStack } from "../../_helpers/stack_task.ts";
import { TEST_STACK_ENV } from "../../_helpers/test_stack.ts";

const TEST_ENV = { ...environment(), ...TEST_STACK_ENV };
const TEST_DIR = resolve(ROOT, TEST_STACK_ENV.STACK_DIR);

/** The pids recorded in a stack folder's pid files (undefined when a file is missing). */
function recordedPids(dir: string) {
  // PostgreSQL's postmaster.pid has the pid on its first line, then its folder, port, socket…
  const read = (file: string) => existsSync(file) ? Number(readFileSync(file, "utf8").split("\n")[0]) : undefined;
  return {
    redis: read(join(dir, "redis", "redis.pid")),
    kafka: read(join(dir, "kafka", "kafka.pid")),
    postgres: read(join(dir, "postgres", "data", "postmaster.pid")),
  };
}

/** `count` distinct ports that nothing listens on now (other stacks here use 26379/29092 and more). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    servers.push(server);
  }
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((closed) => server.close(closed))));
  return ports;
}

/** Kafka answers a metadata request on `broker`. */
async function describeCluster(broker: string) {
  const admin = new Kafka({ clientId: "stack-test", brokers: [broker], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

Deno.test("the test stack's Kafka delivers a produced message to a consumer", async () => {
  const kafka = new Kafka({
    clientId: "stack-test",
    brokers: [TEST_STACK_ENV.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
  });
  const topic = uniqueName("stack-test");
  const admin = kafka.admin();
  await admin.connect();
  try {
    // As the workers create theirs: a broker that has just started may not host a new topic's partition yet.
    await createTopicsIfMissing(kafka, [topic], 1, 1);
    await produce(kafka, topic, [{ flight: "BA117" }], () => "BA117");
    assert.deepEqual(await readTopic(kafka, topic, 1, { settleMs: 500 }), [
      { partition: 0, offset: "0", key: "BA117", value: `{"flight":"BA117"}`, headers: {} },
    ]);
  } finally {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
});

Deno.test("the test stack's Redis answers PING on loopback and persists nothing", async () => {
  const redis = await connectRedis(TEST_STACK_ENV.REDIS_URL, "stack-test");
  try {
    assert.equal(await redis.ping(), "PONG");
    assert.deepEqual(
      [await redis.config("GET", "bind"), await redis.config("GET", "save"), await redis.config("GET", "appendonly")],
      [["bind", "127.0.0.1"], ["save", ""], ["appendonly", "no"]],
    );
  } finally {
    await redis.quit();
  }
});

Deno.test("stack up refuses a port another process listens on, naming the port and its variable", async () => {
  const [redisPort, kafkaPort, controllerPort] = await freePorts(3) as [number, number, number];
  const stranger = createServer();
  await new Promise<void>((listening) => stranger.listen(redisPort, "127.0.0.1", listening));
  const dir = mkdtempSync(join(tmpdir(), "stack-port-taken-"));
  try {
    const result = await runStack("up", {
      ...environment(),
      STACK_DIR: dir,
      STACK_REDIS_PORT: String(redisPort),
      STACK_KAFKA_PORT: String(kafkaPort),
      STACK_KAFKA_CONTROLLER_PORT: String(controllerPort),
      STACK_POSTGRES_PORT: "0",
    });
    assert.equal(result.code, 1, result.stderr);
    assert.ok(
      result.stderr.includes(
        `port ${redisPort} for Redis is taken by a process this stack did not start; ` +
          "stop it or choose another port with STACK_REDIS_PORT",
      ),
      result.stderr,
    );
    assert.deepEqual(recordedPids(dir), { redis: undefined, kafka: undefined, postgres: undefined });
    assert.equal(await portInUse(kafkaPort), false, "nothing started after the refusal");
  } finally {
    await new Promise((closed) => stranger.close(closed));
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("stack up twice leaves the running processes untouched", async () => {
  const before = recordedPids(TEST_DIR);
  assert.ok(before.redis && isAlive(before.redis), `test stack Redis not running (pid ${before.redis})`);
  assert.ok(before.kafka && isAlive(before.kafka), `test stack Kafka not running (pid ${before.kafka})`);
  assert.ok(before.postgres && isAlive(before.postgres), `test stack PostgreSQL not running (pid ${before.postgres})`);
  for (const attempt of [1, 2]) {
    const result = await runStack("up", TEST_ENV);
    assert.equal(result.code, 0, `up #${attempt} failed: ${result.stderr}`);
    assert.equal(
      result.stdout,
      `stack: up (redis 127.0.0.1:16379, kafka 127.0.0.1:19092, postgres 127.0.0.1:15432, data ${TEST_DIR})\n`,
    );
    // Nothing to start: only Deno's start-up, one PING, one metadata request and a few queries.
    assert.ok(result.ms < 15_000, `up #${attempt} took ${result.ms} ms`);
    assert.deepEqual(recordedPids(TEST_DIR), before);
  }
});

Deno.test("stack down stops its own Redis, Kafka and PostgreSQL, removes their pid files, and leaves other stacks running", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stack-down-test-"));
  // As root, PostgreSQL runs as the OS user postgres, which must reach the folder (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  const ports = await freePorts(4);
  const [redisPort, kafkaPort, controllerPort, postgresPort] = ports as [number, number, number, number];
  const env = {
    ...environment(),
    STACK_DIR: dir,
    STACK_REDIS_PORT: String(redisPort),
    STACK_KAFKA_PORT: String(kafkaPort),
    STACK_KAFKA_CONTROLLER_PORT: String(controllerPort),
    STACK_POSTGRES_PORT: String(postgresPort),
    STACK_KAFKA_HEAP: "256m",
  };
  const testStackPids = recordedPids(TEST_DIR);
  // Kafka's command line names its properties file in `dir`, the postmaster its data folder (its children retitle
  // themselves "postgres: checkpointer"…); redis-server retitles itself "redis-server 127.0.0.1:<port>".
  const ours = () => processesMentioning(dir, `127.0.0.1:${redisPort}`);
  try {
    const up = await runStack("up", env);
    assert.equal(up.code, 0, `up failed: ${up.stderr}`);
    assert.equal(
      up.stdout,
      `stack: up (redis 127.0.0.1:${redisPort}, kafka 127.0.0.1:${kafkaPort}, postgres 127.0.0.1:${postgresPort}, ` +
        `data ${dir})\n`,
    );
    const pids = recordedPids(dir);
    assert.ok(pids.redis && isAlive(pids.redis), `second Redis not running (pid ${pids.redis})`);
    assert.ok(pids.kafka && isAlive(pids.kafka), `second Kafka not running (pid ${pids.kafka})`);
    assert.ok(pids.postgres && isAlive(pids.postgres), `second PostgreSQL not running (pid ${pids.postgres})`);
    assert.deepEqual(ours(), [pids.redis, pids.kafka, pids.postgres].sort((a, b) => a - b));

    const down = await runStack("down", env);
    assert.equal(down.code, 0, `down failed: ${down.stderr}`);
    assert.equal(down.stdout, "stack: down\n");
    assert.deepEqual([isAlive(pids.redis), isAlive(pids.kafka)], [false, false]);
    assert.deepEqual(recordedPids(dir), { redis: undefined, kafka: undefined, postgres: undefined });
    assert.deepEqual(ours(), []);
    assert.deepEqual(await Promise.all(ports.map(portInUse)), [false, false, false, false]);

    assert.deepEqual(recordedPids(TEST_DIR), testStackPids);
    await pingRedisOnce(TEST_STACK_ENV.REDIS_URL);
    await pingPostgresOnce(TEST_STACK_ENV.POSTGRES_URL);
    assert.deepEqual((await describeCluster(TEST_STACK_ENV.KAFKA_BROKERS)).brokers.map(({ port }) => port), [19092]);
  } finally {
    // Stop whatever a failed assertion left running (down is a no-op once the pid files are gone).
    const left = recordedPids(dir);
    if (Object.values(left).some((pid) => pid !== undefined)) await runStack("down", env);
    rmSync(dir, { recursive: true, force: true });
  }
});
