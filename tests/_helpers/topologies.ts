/**
 * The same test on both Redis topologies (issue 18): the test stack's single Redis, and the tests' own Redis Cluster
 * (three masters with a replica each, cluster_stack.ts) selected by REDIS_CLUSTER_NODES, as an operator would.
 * The test reads Redis through what works on both: the seed's keys with plain commands, and the helpers below.
 */
import { Cluster } from "ioredis";
import type { Config } from "../../lib/infra/config.ts";
import { connectRedisClient, type RedisClient } from "../../lib/infra/redis.ts";
import { REDIS_CLUSTER_NODES, withRedisCluster } from "./cluster_stack.ts";
import { freshRedis } from "./fixtures.ts";

export interface Topology {
  readonly name: "one Redis node" | "a Redis Cluster";
  /** The variables that select it, to add to a test's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** A client of it, every node emptied first. */
  freshRedis(config: Config): Promise<RedisClient>;
}

const SINGLE_NODE: Topology = { name: "one Redis node", env: {}, freshRedis };

const CLUSTER: Topology = {
  name: "a Redis Cluster",
  env: { REDIS_CLUSTER_NODES },
  freshRedis: async (config) => {
    const cluster = await connectRedisClient(config, "test") as Cluster;
    await Promise.all(cluster.nodes("master").map((node) => node.flushall()));
    return cluster;
  },
};

/** Registers `name` once per topology, each run with it (the cluster started for the run and stopped after). */
export function topologyTest(name: string, test: (topology: Topology) => Promise<void>): void {
  Deno.test(`${name} (${SINGLE_NODE.name})`, () => test(SINGLE_NODE));
  Deno.test({
    name: `${name} (${CLUSTER.name})`,
    // The cluster client's slot refresh timers outlive its quit by a moment.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => withRedisCluster(() => test(CLUSTER)),
  });
}
