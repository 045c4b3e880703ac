/**
 * The cluster topology of the tests' own, apart from the test stack: a Redis Cluster (three masters with a replica
 * each, tools/stack/redis_cluster.ts) on ports 17479-17484 (cluster bus 27479-27484), and for the tests that need
 * it three Kafka nodes (tools/stack/kafka_cluster.ts) on 19592-19594 (controllers 19692-19694). Each test starts and
 * stops what it uses.
 */
import { Cluster } from "ioredis";
import { waitFor } from "../../lib/infra/poll.ts";
import { redisClusterPorts, startRedisCluster, stopRedisCluster } from "../../tools/stack/redis_cluster.ts";
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

/** Starts the cluster (reusing its folder), empties every master and runs `test` with a client; stops it after. */
export async function withRedisCluster(test: (cluster: Cluster) => Promise<void>): Promise<void> {
  try {
    await startRedisCluster(CLUSTER_STACK_SETTINGS);
    const cluster = clusterClient();
    try {
      await waitFor(async () => (await cluster.cluster("INFO")).includes("cluster_state:ok"), 30_000);
      for (const node of cluster.nodes("master")) await node.flushall();
      await test(cluster);
    } finally {
      cluster.disconnect();
    }
  } finally {
    await stopRedisCluster(CLUSTER_STACK_SETTINGS);
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
