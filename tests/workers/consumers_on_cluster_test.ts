/**
 * The flight and bag consumers on a Redis Cluster (issue 18), as processes with REDIS_CLUSTER_NODES, against the test
 * stack's Kafka: a master lost with writes its replica never received (the replica lagging, then promoted), found by
 * the per-master records and replayed from Kafka.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import type { Cluster, Redis } from "ioredis";
import { loadConfig } from "../../lib/infra/config.ts";
import { refreshSlotMap, splitByNode } from "../../lib/infra/cluster_calls.ts";
import { nodeOffsetsKey } from "../../lib/infra/keys.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { killRedisNode, redisClusterPorts, restartRedisNode } from "../../tools/stack/redis_cluster.ts";
import { isolatedEnvironment, produce, testKafka } from "../_helpers/fixtures.ts";
import { startWorker } from "../_helpers/processes.ts";
import {
  CLUSTER_STACK_SETTINGS,
  clusterSnapshot,
  REDIS_CLUSTER_NODES,
  withRedisCluster,
} from "../_helpers/cluster_stack.ts";

const T = Math.floor(Date.now() / 1000);
const byId = (value: unknown) => (value as { id: string }).id;
const FLIGHTS = 50;

/** Round `round` of `count` bags' itineraries: each round reroutes every bag. */
function bagMessages(count: number, round: number) {
  return Array.from({ length: count }, (_, i) => ({
    id: `BAG_${i}`,
    flights: [`FL_${i % FLIGHTS}`, `FL_${(i + round + 1) % FLIGHTS}`],
  }));
}

function flightMessages(round: number) {
  return Array.from({ length: FLIGHTS }, (_, i) => ({
    id: `FL_${i}`,
    departure_time: T + 7200 + i * 60,
    arrival_time: T + 10_800 + i * 60 + round * 60,
    bags: [`BAG_${i}`],
  }));
}

/** The seed's keys after the last of `rounds` of bags and flights. */
function expected(bags: number, rounds: number) {
  const state: Record<string, unknown> = {};
  for (const bag of bagMessages(bags, rounds - 1)) state[`bag:id:${bag.id}`] = { flights: JSON.stringify(bag.flights) };
  for (const flight of flightMessages(rounds - 1)) {
    state[`flight:id:${flight.id}`] = {
      departure_time: String(flight.departure_time),
      arrival_time: String(flight.arrival_time),
      bags: JSON.stringify(flight.bags),
    };
  }
  return state;
}

/** Whether every master records `topic`'s partitions at the ends `ends` (partition -> last offset). */
async function everyMasterRecords(cluster: Cluster, topic: string, ends: Record<string, string>): Promise<boolean> {
  for (const { tag } of splitByNode(cluster, [], String, true)) {
    const recorded = await cluster.hgetall(nodeOffsetsKey(topic, tag)).catch(() => ({}));
    if (JSON.stringify(recorded, Object.keys(ends).sort()) !== JSON.stringify(ends, Object.keys(ends).sort())) {
      return false;
    }
  }
  return true;
}

/** partition -> last offset of `topic`, for the partitions that have messages. */
async function lastOffsets(config: ReturnType<typeof loadConfig>, topic: string): Promise<Record<string, string>> {
  const admin = testKafka(config).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(
      offsets.filter(({ high }) => high !== "0").map((
        { partition, high },
      ) => [String(partition), String(BigInt(high) - 1n)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The replica of the master at `address`: its connection and the index of its node (port order). */
async function replicaOf(cluster: Cluster, address: string): Promise<{ node: Redis; index: number }> {
  const masterPort = address.split(":")[1];
  for (const replica of cluster.nodes("slave")) {
    const info = String(await replica.info("replication"));
    if (info.includes(`master_port:${masterPort}\r`)) {
      return { node: replica, index: redisClusterPorts(CLUSTER_STACK_SETTINGS).indexOf(Number(replica.options.port)) };
    }
  }
  throw new Error(`no replica of ${address}`);
}

Deno.test({
  name: "on a Redis Cluster, a master SIGKILLed after its replica fell behind: the promoted replica lacks the last " +
    "writes, the consumers find it by that master's record and replay, and every key ends exactly as sent",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withRedisCluster(async (cluster) => {
      const env = isolatedEnvironment("bag-consumer", {
        REDIS_CLUSTER_NODES,
        UPSERT_BATCH_SIZE: "500",
        KAFKA_SESSION_TIMEOUT_MS: "6000",
        LOG_LEVEL: "info",
      });
      const config = loadConfig("bag-consumer", env);
      const kafka = testKafka(config);
      const BAGS = 10_000;
      const workers = [
        startWorker("workers/flight_consumer.ts", { ...env, KAFKA_GROUP_ID: `${env.KAFKA_GROUP_ID}-flights` }),
        startWorker("workers/bag_consumer.ts", env),
      ];
      const output = () => workers.map((worker) => worker.output()).join("\n");
      try {
        await produce(kafka, config.topics.flights, flightMessages(0), byId);
        await produce(kafka, config.topics.bags, bagMessages(BAGS, 0), byId);
        const firstEnds = await lastOffsets(config, config.topics.bags);
        await waitFor(() => everyMasterRecords(cluster, config.topics.bags, firstEnds), 60_000, output);

        // The replica of the master of slot 0 loses its link to the master and cannot link again (a wrong password
        // for its master): the master goes on alone, its writes in its own memory only.
        const master = cluster.slots[0]![0]!;
        const masterIndex = redisClusterPorts(CLUSTER_STACK_SETTINGS).indexOf(Number(master.split(":")[1]));
        const replica = await replicaOf(cluster, master);
        await replica.node.config("SET", "masterauth", "not-the-password");
        await replica.node.client("KILL", "TYPE", "master");
        await waitFor(
          async () => String(await replica.node.info("replication")).includes("master_link_status:down"),
          10_000,
        );
        await produce(kafka, config.topics.flights, flightMessages(1), byId);
        await produce(kafka, config.topics.bags, bagMessages(BAGS, 1), byId);
        const ends = await lastOffsets(config, config.topics.bags);
        const flightEnds = await lastOffsets(config, config.topics.flights);
        await waitFor(() => everyMasterRecords(cluster, config.topics.bags, ends), 60_000, output);
        await waitFor(() => everyMasterRecords(cluster, config.topics.flights, flightEnds), 60_000, output);

        // The master is lost; its replica is promoted with what it had: round 0 on the slots of slot 0's master.
        await killRedisNode(CLUSTER_STACK_SETTINGS, masterIndex);
        await waitFor(
          async () =>
            (await cluster.cluster("INFO").catch(() => "")).includes("cluster_state:ok") &&
            (await refreshSlotMap(cluster).then(() => cluster.slots[0]![0] !== master, () => false)),
          90_000,
          output,
        );

        await waitFor(
          async () => {
            const state = await clusterSnapshot(cluster, "*:id:*").catch(() => undefined);
            return isDeepStrictEqual(state, expected(BAGS, 2));
          },
          120_000,
          output,
        );
        assert.deepEqual(await clusterSnapshot(cluster, "*:id:*"), expected(BAGS, 2));
        assert.match(output(), /Redis went back in time for this partition; replaying it from its record/);
        assert.ok(await everyMasterRecords(cluster, config.topics.bags, ends));
        const counts = Object.values(await clusterSnapshot(cluster, "bag:count:{*}"));
        assert.equal(counts.reduce<number>((sum, count) => sum + Number(count), 0), BAGS);
        for (const worker of workers) assert.equal(await worker.kill("SIGTERM"), 0);
        await replica.node.config("SET", "masterauth", "");
        await restartRedisNode(CLUSTER_STACK_SETTINGS, masterIndex);
      } finally {
        for (const worker of workers) await worker.stop();
      }
    });
  },
});
