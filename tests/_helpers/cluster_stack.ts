/**
 * The cluster topology of the tests' own, apart from the test stack: a Redis Cluster (three masters with a replica
 * each, tools/stack/redis_cluster.ts) on ports 17479-17484 (cluster bus 27479-27484), and for the tests that need
 * it three Kafka nodes (tools/stack/kafka_cluster.ts) on 19592-19594 (controllers 19692-19694). Each test starts and
 * stops what it uses.
 */
import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import type { PartitionStore, StoreRequest } from "../../lib/consume/partition_store.ts";
import { splitByNode } from "../../lib/infra/cluster_calls.ts";
import { keySlot } from "../../lib/infra/cluster_slots.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import {
  redisClusterNodes,
  redisClusterPorts,
  startRedisCluster,
  stopRedisCluster,
} from "../../tools/stack/redis_cluster.ts";
import { loadStackSettings } from "../../tools/stack/settings.ts";
import { snapshot } from "./redis_state.ts";
import { kafkaClusterBrokers, startKafkaCluster, stopKafkaCluster } from "../../tools/stack/kafka_cluster.ts";

export const CLUSTER_STACK_SETTINGS = loadStackSettings({
  STACK_TOPOLOGY: "cluster",
  STACK_DIR: ".stack/test-cluster-stack",
  STACK_REDIS_PORT: "17479",
  STACK_KAFKA_PORT: "19592",
  STACK_KAFKA_CONTROLLER_PORT: "19692",
  STACK_POSTGRES_PORT: "0",
  STACK_KAFKA_HEAP: "256m",
});

/** `host:port` of every node, as REDIS_CLUSTER_NODES lists them. */
export const REDIS_CLUSTER_NODES = redisClusterPorts(CLUSTER_STACK_SETTINGS).map((port) => `127.0.0.1:${port}`).join(
  ",",
);

/** An administrator's cluster client. */
export function clusterClient(): Cluster {
  const cluster = new Cluster(
    redisClusterPorts(CLUSTER_STACK_SETTINGS).map((port) => ({ host: "127.0.0.1", port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  cluster.on("error", () => {});
  return cluster;
}

/**
 * Starts the cluster unless it runs (and any node a test stopped), empties every master and runs `test` with a client.
 * The cluster stays up for the next test (tests/run.ts stops it after the run), and with it the slot layout earlier
 * tests left (a resharding, a failover); `freshLayout` creates the cluster again, for a test whose assertions depend on
 * which master serves which slots.
 */
export async function withRedisCluster(
  test: (cluster: Cluster) => Promise<void>,
  { freshLayout = false } = {},
): Promise<void> {
  if (freshLayout) {
    await stopRedisCluster(CLUSTER_STACK_SETTINGS);
    for (const node of redisClusterNodes(CLUSTER_STACK_SETTINGS)) {
      await Deno.remove(node.dataDir, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }
  await startRedisCluster(CLUSTER_STACK_SETTINGS);
  const cluster = clusterClient();
  try {
    await waitFor(async () => (await cluster.cluster("INFO")).includes("cluster_state:ok"), 30_000);
    for (const node of cluster.nodes("master")) await node.flushall();
    await test(cluster);
  } finally {
    cluster.disconnect();
  }
}

/** KAFKA_BROKERS of the three Kafka nodes. */
export const KAFKA_CLUSTER_BROKERS = kafkaClusterBrokers(CLUSTER_STACK_SETTINGS).join(",");

/** Starts the three Kafka nodes (reusing their folder) for `test`, and stops them after. */
export async function withKafkaCluster(test: () => Promise<void>): Promise<void> {
  try {
    await startKafkaCluster(CLUSTER_STACK_SETTINGS);
    await test();
  } finally {
    await stopKafkaCluster(CLUSTER_STACK_SETTINGS);
  }
}

/** Every key matching `pattern` on every master with its full value, sorted by key (redis_state.ts snapshot()). */
export async function clusterSnapshot(cluster: Cluster, pattern = "*"): Promise<Record<string, unknown>> {
  const parts = await Promise.all(cluster.nodes("master").map((node) => snapshot(node, pattern)));
  const merged = Object.assign({}, ...parts) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(merged).sort().map((key) => [key, merged[key]]));
}

/**
 * Stores round `round` of `records` as a consumer of two partitions would, in chunks of 500, each requiring what the
 * one before recorded (`recorded`, updated).
 */
export async function storeRound<T>(
  store: PartitionStore<T>,
  records: readonly T[],
  round: number,
  recorded: Map<number, bigint>,
): Promise<void> {
  for (const partition of [0, 1]) {
    const mine = records.filter((_, i) => i % 2 === partition);
    for (let start = 0; start < mine.length; start += 500) {
      const base = round * records.length + start;
      const chunk = mine.slice(start, start + 500).map((record, i) => ({ offset: String(base + i), record }));
      const request: StoreRequest<T> = {
        partition,
        requiredOffset: recorded.get(partition) ?? -1n,
        lastOffset: chunk.at(-1)!.offset,
        records: chunk,
      };
      const result = await store.store(request);
      assert.equal(result.status, "applied", `round ${round}, partition ${partition}: ${JSON.stringify(result)}`);
      recorded.set(partition, BigInt(request.lastOffset));
    }
  }
}

/** The entries of the per-slot sorted sets `<prefix>:{*}` merged, each checked to hold only members of its slot. */
export async function mergedPerSlot(cluster: Cluster, prefix: string, keyOfMember: (member: string) => string) {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(await clusterSnapshot(cluster, `${prefix}:{*}`))) {
    const pairs = value as string[];
    for (let i = 0; i < pairs.length; i += 2) {
      assert.equal(keySlot(keyOfMember(pairs[i]!)), keySlot(key), `${pairs[i]} is in ${key}, not its slot's`);
      merged[pairs[i]!] = pairs[i + 1]!;
    }
  }
  return merged;
}

/**
 * The change marks of every master (work:marks:{<tag of its lowest slot>}, one queue per master) merged into flight id ->
 * score, each asserted to sit on the master that serves its flight's key.
 */
export async function nodeMarks(cluster: Cluster): Promise<Record<string, string>> {
  const merged: Record<string, string> = {};
  for (const { node, address, tag } of splitByNode(cluster, [], String, true)) {
    const pairs = await node.zrange(`work:marks:{${tag}}`, 0, -1, "WITHSCORES");
    for (let i = 0; i < pairs.length; i += 2) {
      assert.equal(
        cluster.slots[keySlot(`flight:id:${pairs[i]}`)]?.[0],
        address,
        `${pairs[i]} is marked on ${address}`,
      );
      merged[pairs[i]!] = pairs[i + 1]!;
    }
  }
  return merged;
}

export const asMap = (pairs: string[]): Record<string, string> =>
  Object.fromEntries(pairs.flatMap((_, i) => i % 2 ? [] : [[pairs[i], pairs[i + 1]]]));

/** The sum of the per-slot counters `<prefix>:{*}`. */
export async function summed(cluster: Cluster, prefix: string): Promise<number> {
  const counts = Object.values(await clusterSnapshot(cluster, `${prefix}:{*}`));
  return counts.reduce<number>((sum, count) => sum + Number(count), 0);
}

/** Empties every master of `cluster`. */
export async function emptied(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes("master")) await node.flushall();
}
