/**
 * The stream side on a Redis Cluster (issue 18): the bridge, the tail and the board started with REDIS_CLUSTER_NODES,
 * the readers with REDIS_READ_FROM=replica, against a bridge on the test stack's single Redis on the same topic.
 */
import assert from "node:assert/strict";
import type { Cluster } from "ioredis";
import { loadConfig } from "../../../lib/infra/config.ts";
import { bridgeOffsetsKey } from "../../../lib/infra/keys.ts";
import { connectRedis } from "../../../lib/infra/redis.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { toWorkEntry, type WorkEntry } from "../../../lib/stream/stream_reader.ts";
import { killRedisNode, redisClusterPorts, restartRedisNode } from "../../../tools/stack/redis_cluster.ts";
import { freePort, startBoard } from "../../_helpers/board.ts";
import {
  isolatedEnvironment,
  produce,
  produceToExistingTopic,
  testKafka,
  testLogger,
  uniqueName,
} from "../../_helpers/fixtures.ts";
import { startWorker } from "../../_helpers/processes.ts";
import {
  CLUSTER_STACK_SETTINGS,
  KAFKA_CLUSTER_BROKERS,
  REDIS_CLUSTER_NODES,
  withKafkaCluster,
  withRedisCluster,
} from "../../_helpers/cluster_stack.ts";
import { killKafkaBroker, restartKafkaBroker } from "../../../tools/stack/kafka_cluster.ts";
import { createKafka, createTopicsIfMissing } from "../../../lib/infra/kafka.ts";
import type { Kafka } from "kafkajs";
import { entryIdentity, workMessages } from "../../_helpers/work_messages.ts";

type Entries = (stream: string) => Promise<WorkEntry[]>;
const entriesOf = (redis: { xrange: Cluster["xrange"] }): Entries => async (stream) =>
  (await redis.xrange(stream, "-", "+") as [string, string[]][]).map(toWorkEntry);

/** An entry without its stream id: what two bridges of the same topic must agree on. */
const content = ({ id: _id, ...fields }: WorkEntry) => fields;
const byPosition = (a: WorkEntry, b: WorkEntry) =>
  a.partition - b.partition || Number(a.offset) - Number(b.offset) || a.bag_id.localeCompare(b.bag_id);

/** The bridge on one node and the bridge on the cluster, on one work topic and stream name. */
function twoBridges() {
  const single = isolatedEnvironment("bridge", { LOG_LEVEL: "info" });
  const onCluster = { ...single, KAFKA_GROUP_ID: uniqueName("bridge-cluster"), REDIS_CLUSTER_NODES };
  return { single, onCluster };
}

/** A board's clients on the cluster's replicas, by CLIENT LIST of each replica. */
async function clientsOnReplicas(cluster: Cluster, name: string): Promise<string[]> {
  const lines = await Promise.all(
    cluster.nodes("slave").map(async (node) => String(await node.client("LIST")).split("\n")),
  );
  return lines.flat().filter((line) => line.includes(` name=${name} `));
}

/** Waits until the bridge records every offset of `topic` as mirrored into `stream`: nothing more is coming. */
async function waitForEveryOffsetMirrored(cluster: Cluster, kafka: Kafka, topic: string, stream: string) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const expected = Object.fromEntries(
    ends.filter(({ high }) => high !== "0").map((
      { partition, high },
    ) => [`${topic}:${partition}`, String(Number(high) - 1)]),
  );
  await waitFor(async () => {
    assert.deepEqual(await cluster.hgetall(bridgeOffsetsKey(stream, true)), expected);
  }, 60_000);
}

Deno.test({
  name: "on a Redis Cluster the bridge writes exactly the stream the single-node bridge writes, and the tail and " +
    "the board read it from replicas",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withRedisCluster(async (cluster) => {
      const { single, onCluster } = twoBridges();
      const config = loadConfig("bridge", single);
      const redis = await connectRedis(config.redisUrl, "test");
      await redis.del(config.stream.key);
      const work = workMessages(40, 25);
      await produce(testKafka(config), config.topics.work, work, (message) => (message as { id: string }).id);
      const bridges = [startWorker("bridge/bridge.ts", single), startWorker("bridge/bridge.ts", onCluster)];
      const port = freePort();
      const readerEnv = { ...onCluster, REDIS_READ_FROM: "replica", TAIL_GROUP: uniqueName("tail") };
      const tail = startWorker("readers/tail.ts", { ...readerEnv, LOG_LEVEL: "info" });
      try {
        await waitFor(
          async () => (await cluster.xlen(config.stream.key)) === 1_000,
          60_000,
          () => bridges[1]!.output(),
        );
        await waitFor(async () => (await redis.xlen(config.stream.key)) === 1_000, 60_000, () => bridges[0]!.output());
        const [fromSingle, fromCluster] = [
          await entriesOf(redis)(config.stream.key),
          await entriesOf(cluster)(config.stream.key),
        ];
        assert.deepEqual(fromCluster.sort(byPosition).map(content), fromSingle.sort(byPosition).map(content));
        assert.equal(new Set(fromCluster.map(entryIdentity)).size, 1_000);
        // Its records share the stream's slot: `bridge:offsets:{<stream>}`, the same offsets as on one node.
        assert.equal(bridgeOffsetsKey(config.stream.key, true), `bridge:offsets:{${config.stream.key}}`);
        assert.deepEqual(
          await cluster.hgetall(bridgeOffsetsKey(config.stream.key, true)),
          await redis.hgetall(bridgeOffsetsKey(config.stream.key)),
        );

        // The tail prints every entry, read from a replica.
        await waitFor(
          () => tail.output().split("\n").filter((line) => line.startsWith('{"id"')).length === 1_000,
          30_000,
        );
        const board = await startBoard(readerEnv, port);
        try {
          const response = await fetch(`http://127.0.0.1:${port}/events`);
          const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
          let text = "";
          while (!text.includes("event: flights")) text += (await reader.read()).value ?? "";
          while (!/event: flights\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? "";
          await reader.cancel();
          const flights = JSON.parse(/event: flights\ndata: (.*)\n/.exec(text)![1]!) as {
            id: string;
            bags: unknown[];
          }[];
          assert.deepEqual(
            flights.map((flight) => [flight.id, flight.bags.length]).sort(),
            work.map((flight) => [flight.id, 25]).sort(),
          );
          await waitFor(
            async () => (await clientsOnReplicas(cluster, "board")).some((line) => /cmd=(xread|xrange)/.test(line)),
            15_000,
            () => "the board reads from no replica",
          );
        } finally {
          await board.stop();
        }
        assert.ok((await clientsOnReplicas(cluster, "tail")).length > 0, "the tail reads from no replica");
      } finally {
        await Promise.all([...bridges, tail].map((child) => child.stop()));
        await redis.quit();
      }
    });
  },
});

Deno.test({
  name: "on a Redis Cluster the stream's master SIGKILLed while the bridge mirrors: its replica takes over and the " +
    "stream ends with every entry exactly once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withRedisCluster(async (cluster) => {
      const { onCluster } = twoBridges();
      const config = loadConfig("bridge", onCluster);
      const kafka = testKafka(config);
      const bridge = startWorker("bridge/bridge.ts", onCluster);
      try {
        const first = workMessages(200, 25);
        await produce(kafka, config.topics.work, first, (message) => (message as { id: string }).id);
        await waitFor(async () => (await cluster.xlen(config.stream.key)) > 500, 60_000, () => bridge.output());
        const master = cluster.slots[(await cluster.cluster("KEYSLOT", config.stream.key)) as number]![0]!;
        const index = redisClusterPorts(CLUSTER_STACK_SETTINGS).indexOf(Number(master.split(":")[1]));
        await killRedisNode(CLUSTER_STACK_SETTINGS, index);
        // More work while the replica takes over: the second revision of every flight.
        await produce(kafka, config.topics.work, workMessages(200, 25, 2), (message) => (message as { id: string }).id);
        await waitFor(
          async () => (await cluster.xlen(config.stream.key).catch(() => 0)) >= 10_000,
          120_000,
          () => bridge.output(),
        );
        await waitForEveryOffsetMirrored(cluster, kafka, config.topics.work, config.stream.key);
        const entries = await entriesOf(cluster)(config.stream.key);
        const identities = entries.map(entryIdentity);
        assert.equal(identities.length, 10_000, "no entry lost or duplicated");
        assert.equal(new Set(identities).size, 10_000);
        await restartRedisNode(CLUSTER_STACK_SETTINGS, index);
      } finally {
        await bridge.stop();
      }
    });
  },
});

Deno.test({
  name:
    "on three Kafka brokers (replication factor 3, min.insync.replicas 2) and a Redis Cluster, a broker SIGKILLed " +
    "under the bridge: the producer goes on with acks=all and the stream ends with every entry exactly once",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: brokerKilledUnderTheBridge,
});

function brokerKilledUnderTheBridge() {
  return withKafkaCluster(() =>
    withRedisCluster(async (cluster) => {
      const env = {
        ...twoBridges().onCluster,
        KAFKA_BROKERS: KAFKA_CLUSTER_BROKERS,
        KAFKA_REPLICATION_FACTOR: "3",
      };
      const config = loadConfig("bridge", env);
      // The clients' own settings (retries up to 5 s apart): a send to the killed leader waits for the new one.
      const kafka = createKafka(config, testLogger());
      await createTopicsIfMissing(kafka, [config.topics.work], config.kafka.partitions, 3);
      const bridge = startWorker("bridge/bridge.ts", env);
      try {
        await produce(kafka, config.topics.work, workMessages(200, 25), (message) => (message as { id: string }).id);
        await waitFor(async () => (await cluster.xlen(config.stream.key)) > 500, 60_000, () => bridge.output());
        // The broker leading the first partition of the work topic, SIGKILLed.
        const admin = kafka.admin();
        await admin.connect();
        const [metadata] = (await admin.fetchTopicMetadata({ topics: [config.topics.work] })).topics;
        await admin.disconnect();
        const leader = metadata!.partitions.find((partition) => partition.partitionId === 0)!.leader;
        await killKafkaBroker(CLUSTER_STACK_SETTINGS, leader - 1);
        // kafkajs' producer gives up a send whose metadata still names the killed broker, until the controller fences it
        // (broker.session.timeout.ms): the next round goes once the partitions have new leaders.
        await waitFor(async () => {
          const check = kafka.admin();
          await check.connect();
          try {
            const [now] = (await check.fetchTopicMetadata({ topics: [config.topics.work] })).topics;
            return now!.partitions.every((partition) => partition.leader !== leader && partition.leader >= 0);
          } finally {
            await check.disconnect();
          }
        }, 60_000);
        await produceToExistingTopic(
          kafka,
          config.topics.work,
          workMessages(200, 25, 2),
          (message) => (message as { id: string }).id,
        );
        await waitForEveryOffsetMirrored(cluster, kafka, config.topics.work, config.stream.key);
        const identities = (await entriesOf(cluster)(config.stream.key)).map(entryIdentity);
        assert.equal(identities.length, 10_000, "no entry lost or duplicated");
        assert.equal(new Set(identities).size, 10_000);
        await restartKafkaBroker(CLUSTER_STACK_SETTINGS, leader - 1);
      } finally {
        await bridge.stop();
      }
    })
  );
}
