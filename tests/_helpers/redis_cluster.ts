/**
 * A Redis Cluster of the tests' own (three masters with a replica each, tools/stack/redis_cluster.ts) on ports
 * 17479-17484 (cluster bus 27479-27484), apart from the test stack; each test file starts and stops it.
 */
import { Cluster } from "ioredis";
import { waitFor } from "../../lib/infra/poll.ts";
import { redisClusterPorts, startRedisCluster, stopRedisCluster } from "../../tools/stack/redis_cluster.ts";
import { loadStackSettings } from "../../tools/stack/settings.ts";

export const REDIS_CLUSTER_SETTINGS = loadStackSettings({
  STACK_TOPOLOGY: "cluster",
  STACK_DIR: ".stack/test-redis-cluster",
  STACK_REDIS_PORT: "17479",
  STACK_KAFKA_PORT: "19592",
  STACK_KAFKA_CONTROLLER_PORT: "19692",
  STACK_POSTGRES_PORT: "0",
});

/** `host:port` of every node, as REDIS_CLUSTER_NODES lists them. */
export const REDIS_CLUSTER_NODES = redisClusterPorts(REDIS_CLUSTER_SETTINGS).map((port) => `127.0.0.1:${port}`).join(
  ",",
);

/** An administrator's cluster client. */
export function clusterClient(): Cluster {
  const cluster = new Cluster(
    redisClusterPorts(REDIS_CLUSTER_SETTINGS).map((port) => ({ host: "127.0.0.1", port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  cluster.on("error", () => {});
  return cluster;
}

/** Starts the cluster (reusing its folder), empties every master and runs `test` with a client; stops it after. */
export async function withRedisCluster(test: (cluster: Cluster) => Promise<void>): Promise<void> {
  try {
    await startRedisCluster(REDIS_CLUSTER_SETTINGS);
    const cluster = clusterClient();
    try {
      await waitFor(async () => (await cluster.cluster("INFO")).includes("cluster_state:ok"), 30_000);
      for (const node of cluster.nodes("master")) await node.flushall();
      await test(cluster);
    } finally {
      cluster.disconnect();
    }
  } finally {
    await stopRedisCluster(REDIS_CLUSTER_SETTINGS);
  }
}
