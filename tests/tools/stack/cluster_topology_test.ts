/**
 * `deno task stack up --topology cluster` against the real servers, on ports of its own (Redis 17379-17384,
 * Kafka 19192-19194, controllers 19292-19294, no PostgreSQL) and its own folder; it is stopped at the end.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { waitFor } from "../../../lib/infra/poll.ts";
import { connectRedis } from "../../../lib/infra/redis.ts";
import { environment } from "../../../lib/infra/runtime.ts";
import { ROOT } from "../../../tools/processes.ts";
import { isAlive, portInUse } from "../../../tools/stack/daemons.ts";
import { describeKafka } from "../../../tools/stack/kafka_broker.ts";
import { kafkaClusterBrokers, killKafkaBroker, restartKafkaBroker } from "../../../tools/stack/kafka_cluster.ts";
import {
  killRedisNode,
  redisClusterNodeIds,
  redisClusterPorts,
  restartRedisNode,
} from "../../../tools/stack/redis_cluster.ts";
import { loadStackSettings } from "../../../tools/stack/settings.ts";
import { uniqueName } from "../../_helpers/fixtures.ts";
import { processesMentioning, runStack } from "../../_helpers/stack_task.ts";

const DIR = resolve(ROOT, ".stack/test-cluster");
/** Only this stack's values: no password, port or topology of the caller's (or the test stack's) leaks in. */
const ENV = {
  ...environment(),
  STACK_DIR: DIR,
  STACK_TOPOLOGY: undefined,
  STACK_REDIS_PORT: "17379",
  STACK_KAFKA_PORT: "19192",
  STACK_KAFKA_CONTROLLER_PORT: "19292",
  STACK_POSTGRES_PORT: "0",
  STACK_KAFKA_HEAP: "256m",
  STACK_REDIS_ADMIN_PASSWORD: undefined,
  STACK_REDIS_WORKER_PASSWORD: undefined,
  STACK_KAFKA_SASL_PORT: undefined,
};
const SETTINGS = loadStackSettings({ ...ENV, STACK_TOPOLOGY: "cluster" });
const REDIS_PORTS = [17379, 17380, 17381, 17382, 17383, 17384];
/** Every port the cluster listens on: Redis, its cluster bus, Kafka's clients and controllers. */
const ALL_PORTS = [
  ...REDIS_PORTS,
  ...REDIS_PORTS.map((port) => port + 10000),
  19192,
  19193,
  19194,
  19292,
  19293,
  19294,
];
const UP_LINE = `stack: up (cluster: redis 127.0.0.1:17379-17384, kafka 127.0.0.1:19192-19194, data ${DIR})\n`;
const NAMES = [...REDIS_PORTS.map((port) => `redis-${port}`), "kafka-1", "kafka-2", "kafka-3"];

/** The pid file of each of the nine processes, in `status` order. */
const pidFiles = () => [
  ...REDIS_PORTS.map((port) => join(DIR, `redis-${port}`, "redis.pid")),
  ...[1, 2, 3].map((id) => join(DIR, `kafka-${id}`, "kafka.pid")),
];
const recordedPids = () =>
  pidFiles().map((file) => existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined);

/** Runs `work` with a connection to the node on `port`. */
async function onNode<T>(port: number, work: (redis: Awaited<ReturnType<typeof connectRedis>>) => Promise<T>) {
  const redis = await connectRedis(`redis://127.0.0.1:${port}`, "cluster-test");
  try {
    return await work(redis);
  } finally {
    await redis.quit();
  }
}

/** CLUSTER NODES of the node on `port`: each node's id, port, flags and master's id. */
async function clusterNodes(port: number) {
  const text = await onNode(port, (redis) => redis.call("CLUSTER", "NODES")) as string;
  return text.trim().split("\n").map((line) => {
    const [id, address, flags, master] = line.split(" ") as [string, string, string, string];
    return { id, port: Number(address.split(":")[1]!.split("@")[0]), flags: flags.split(","), master };
  });
}

const clusterState = async (port: number) =>
  /cluster_state:(\w+)/.exec(await onNode(port, (redis) => redis.call("CLUSTER", "INFO")) as string)?.[1];

function admin() {
  return new Kafka({ clientId: "cluster-test", brokers: kafkaClusterBrokers(SETTINGS), logLevel: logLevel.NOTHING })
    .admin();
}

Deno.test("stack up --topology cluster: three KRaft nodes and a Redis Cluster of three masters with a replica each", async (t) => {
  await runStack("down", ENV);
  rmSync(DIR, { recursive: true, force: true });
  let nodeIds: string[] = [];
  let kafkaClusterId = "";
  try {
    const up = await runStack(["up", "--topology", "cluster"], ENV);
    assert.equal(up.code, 0, `up failed: ${up.stderr}`);
    assert.equal(up.stdout, UP_LINE);

    await t.step("describeCluster lists brokers 1, 2 and 3 on their ports, and a controller", async () => {
      const cluster = await describeKafka(kafkaClusterBrokers(SETTINGS));
      assert.deepEqual(
        cluster.brokers.map(({ nodeId, port }) => [nodeId, port]).sort(),
        [[1, 19192], [2, 19193], [3, 19194]],
      );
      assert.ok([1, 2, 3].includes(cluster.controller!), `controller ${cluster.controller}`);
      kafkaClusterId = cluster.clusterId;
    });

    const topic = uniqueName("cluster-rf3");
    await t.step("a topic of replication factor 3 has 3 replicas a partition and min.insync.replicas 2", async () => {
      const client = admin();
      await client.connect();
      try {
        await client.createTopics({
          topics: [{ topic, numPartitions: 3, replicationFactor: 3 }],
          waitForLeaders: true,
        });
        const [metadata] = (await client.fetchTopicMetadata({ topics: [topic] })).topics;
        assert.deepEqual(
          metadata!.partitions.map(({ partitionId, replicas }) => [partitionId, [...replicas].sort()]).sort(),
          [[0, [1, 2, 3]], [1, [1, 2, 3]], [2, [1, 2, 3]]],
        );
        const { resources } = await client.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["min.insync.replicas"] }],
          includeSynonyms: false,
        });
        assert.deepEqual(resources[0]!.configEntries.map(({ configName, configValue }) => [configName, configValue]), [
          ["min.insync.replicas", "2"],
        ]);
      } finally {
        await client.disconnect();
      }
    });

    await t.step(
      "a producer with acks=-1 succeeds with the partition leader SIGKILLed; restarted, it rejoins",
      async () => {
        const kafka = new Kafka({
          clientId: "cluster-test",
          brokers: kafkaClusterBrokers(SETTINGS),
          logLevel: logLevel.NOTHING,
          // Until the controller fences the dead broker (broker.session.timeout.ms, 9 s), metadata still names it.
          retry: { retries: 15, initialRetryTime: 500, maxRetryTime: 3000 },
        });
        const client = kafka.admin();
        const producer = kafka.producer();
        await Promise.all([client.connect(), producer.connect()]);
        try {
          const [metadata] = (await client.fetchTopicMetadata({ topics: [topic] })).topics;
          const leader = metadata!.partitions.find(({ partitionId }) => partitionId === 0)!.leader;
          await killKafkaBroker(SETTINGS, leader - 1);
          const messages = Array.from({ length: 30 }, (_, i) => ({ key: `bag-${i}`, value: String(i) }));
          const sent = await producer.send({ topic, acks: -1, messages });
          assert.equal(sent.every(({ errorCode }) => errorCode === 0), true);
          const offsets = await client.fetchTopicOffsets(topic);
          assert.equal(offsets.reduce((sum, { high }) => sum + Number(high), 0), 30);

          await restartKafkaBroker(SETTINGS, leader - 1);
          const { brokers } = await describeKafka(kafkaClusterBrokers(SETTINGS));
          assert.deepEqual(brokers.map(({ nodeId }) => nodeId).sort(), [1, 2, 3]);
          await client.deleteTopics({ topics: [topic] });
        } finally {
          await producer.disconnect();
          await client.disconnect();
        }
      },
    );

    await t.step("every Redis node says cluster_state:ok and appendonly yes; 3 masters and 3 replicas", async () => {
      assert.deepEqual(redisClusterPorts(SETTINGS), REDIS_PORTS);
      assert.deepEqual(await Promise.all(REDIS_PORTS.map(clusterState)), REDIS_PORTS.map(() => "ok"));
      assert.deepEqual(
        await Promise.all(REDIS_PORTS.map((port) => onNode(port, (redis) => redis.config("GET", "appendonly")))),
        REDIS_PORTS.map(() => ["appendonly", "yes"]),
      );
      const nodes = await clusterNodes(REDIS_PORTS[0]!);
      const masters = nodes.filter(({ flags }) => flags.includes("master"));
      const replicas = nodes.filter(({ flags }) => flags.includes("slave"));
      assert.deepEqual([masters.length, replicas.length], [3, 3]);
      assert.deepEqual(replicas.map(({ master }) => master).sort(), masters.map(({ id }) => id).sort());
      nodeIds = await redisClusterNodeIds(SETTINGS);
      assert.equal(new Set(nodeIds).size, 6);
    });

    await t.step(
      "a SIGKILLed master's replica takes over; restarted, the old master rejoins as its replica",
      async () => {
        const nodes = await clusterNodes(REDIS_PORTS[0]!);
        const victim = nodes.find(({ flags }) => flags.includes("master"))!;
        const heir = nodes.find(({ master }) => master === victim.id)!;
        await killRedisNode(SETTINGS, REDIS_PORTS.indexOf(victim.port));
        const survivor = REDIS_PORTS.find((port) => port !== victim.port)!;
        await waitFor(
          async () =>
            (await clusterNodes(survivor)).find(({ id }) => id === heir.id)!.flags.includes("master") &&
            (await clusterState(survivor)) === "ok",
          30_000,
          (last) => `replica ${heir.port} was not promoted (${last})`,
          250,
        );
        await restartRedisNode(SETTINGS, REDIS_PORTS.indexOf(victim.port));
        const after = await clusterNodes(victim.port);
        assert.deepEqual(after.find(({ id }) => id === victim.id)!.flags, ["myself", "slave"]);
        assert.equal(after.find(({ id }) => id === victim.id)!.master, heir.id);
      },
    );

    await t.step("up of the single topology is refused while the cluster runs", async () => {
      const single = await runStack("up", ENV);
      assert.equal(single.code, 1);
      assert.equal(single.stderr.trim(), `stack: ${DIR} runs the cluster topology: run \`deno task stack down\` first`);
    });

    let pids: number[] = [];
    await t.step("status lists the nine processes running under their recorded pids", async () => {
      pids = recordedPids() as number[];
      assert.ok(pids.every((pid) => pid !== undefined && isAlive(pid)), `pids ${pids}`);
      const status = await runStack("status", ENV);
      assert.equal(status.code, 0, status.stderr);
      assert.equal(
        status.stdout,
        [...NAMES.map((name, i) => `${name}: running (pid ${pids[i]})`), "prometheus: stopped", ""].join("\n"),
      );
    });

    await t.step("down, with no flag, stops all nine and nothing listens on the cluster's ports", async () => {
      const down = await runStack("down", ENV);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(down.stdout, "stack: down\n");
      assert.deepEqual(pids.filter(isAlive), []);
      assert.deepEqual(recordedPids(), NAMES.map(() => undefined));
      assert.deepEqual(processesMentioning(DIR, ...REDIS_PORTS.map((port) => `127.0.0.1:${port}`)), []);
      assert.deepEqual(await Promise.all(ALL_PORTS.map(portInUse)), ALL_PORTS.map(() => false));
    });

    await t.step(
      "up again on the folder starts the same cluster: the same Redis node ids and Kafka cluster id",
      async () => {
        const again = await runStack(["up", "--topology", "cluster"], ENV);
        assert.equal(again.code, 0, `up failed: ${again.stderr}`);
        assert.equal(again.stdout, UP_LINE);
        assert.deepEqual(await redisClusterNodeIds(SETTINGS), nodeIds);
        assert.equal((await describeKafka(kafkaClusterBrokers(SETTINGS))).clusterId, kafkaClusterId);
        assert.deepEqual(await Promise.all(REDIS_PORTS.map(clusterState)), REDIS_PORTS.map(() => "ok"));
      },
    );
  } finally {
    const down = await runStack("down", ENV);
    assert.equal(down.code, 0, down.stderr);
  }
});
