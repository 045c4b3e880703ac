/**
 * The cluster topology's Redis: a Redis Cluster of three masters with one replica each, six redis-server nodes
 * (redis_server.ts) on STACK_REDIS_PORT and the five ports after it (cluster bus 10000 above each), each with AOF
 * persistence, created once with `redis-cli --cluster create`; a restart only starts the nodes again.
 */
import { join } from "node:path";
import { Redis } from "ioredis";
import { waitFor } from "../../lib/infra/poll.ts";
import { killNow } from "./daemons.ts";
import { runSync } from "../processes.ts";
import {
  launchRedisNode,
  redisAdminUrl,
  type RedisNode,
  redisNodePid,
  stopRedisNode,
  waitForPing,
} from "./redis_server.ts";
import type { StackSettings } from "./settings.ts";
import { CLUSTER_SIZES, REDIS_CLUSTER_BUS_OFFSET } from "./topology.ts";

/** Short, so that a killed master's replica takes over within seconds (in tests and chaos). */
const NODE_TIMEOUT_MS = 5000;

/** The nodes' ports, STACK_REDIS_PORT first. */
export function redisClusterPorts(settings: StackSettings): number[] {
  return Array.from({ length: CLUSTER_SIZES.redisNodes }, (_, i) => settings.redisPort + i);
}

/** The six nodes, in `<STACK_DIR>/redis-<port>`. */
export function redisClusterNodes(settings: StackSettings): RedisNode[] {
  // A replica authenticates to its master as `default` when the administrator has a password.
  const masterAuth = settings.redisAdminPassword === undefined ? [] : ["--masterauth", settings.redisAdminPassword];
  return redisClusterPorts(settings).map((port) => {
    const dataDir = join(settings.dir, `redis-${port}`);
    return {
      port,
      busPort: port + REDIS_CLUSTER_BUS_OFFSET,
      dataDir,
      persistence: "aof",
      extraArgs: [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dataDir, "nodes.conf"),
        "--cluster-node-timeout",
        String(NODE_TIMEOUT_MS),
        ...masterAuth,
      ],
      label: `Redis node 127.0.0.1:${port}`,
    };
  });
}

/** Runs one command on the node at `port` over a short-lived connection that does not retry; returns its reply. */
async function replyOnce(settings: StackSettings, port: number, command: string, ...args: string[]) {
  const redis = new Redis(redisAdminUrl(settings, port), {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await redis.call(command, ...args);
  } finally {
    redis.disconnect();
  }
}

/** Runs one command on the node at `port` (replyOnce); returns its reply as text. */
async function commandOnce(settings: StackSettings, port: number, command: string, ...args: string[]) {
  return String(await replyOnce(settings, port, command, ...args));
}

/** `field:value` lines of CLUSTER INFO or INFO as a map. */
function infoFields(text: string): Map<string, string> {
  return new Map(
    text.split(/\r?\n/).filter((line) => line.includes(":")).map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at), line.slice(at + 1).trim()];
    }),
  );
}

/**
 * Starts the nodes that are not running, creates the cluster when no node belongs to one yet, and waits until
 * every node says cluster_state:ok and each of the three masters has its replica connected.
 */
export async function startRedisCluster(settings: StackSettings): Promise<void> {
  const nodes = redisClusterNodes(settings);
  for (const node of nodes) await launchRedisNode(settings, node);
  for (const node of nodes) await waitForPing(settings, node);
  const known = await Promise.all(
    nodes.map(async ({ port }) =>
      Number(infoFields(await commandOnce(settings, port, "CLUSTER", "INFO")).get("cluster_known_nodes"))
    ),
  );
  if (known.every((count) => count === 1)) createCluster(settings);
  else if (known.some((count) => count !== nodes.length)) {
    throw new Error(
      `the Redis nodes in ${settings.dir} know ${known.join(", ")} nodes: part of a cluster is missing; ` +
        "stop the stack and remove the redis-<port> folders to create it again",
    );
  }
  await waitForHealthyCluster(settings);
}

function createCluster(settings: StackSettings): void {
  const auth = settings.redisAdminPassword === undefined
    ? []
    : ["--user", "default", "-a", settings.redisAdminPassword, "--no-auth-warning"];
  runSync("redis-cli", [
    ...auth,
    "--cluster",
    "create",
    ...redisClusterPorts(settings).map((port) => `127.0.0.1:${port}`),
    "--cluster-replicas",
    String(CLUSTER_SIZES.redisReplicasPerMaster),
    "--cluster-yes",
  ]);
}

/** What keeps the cluster from being whole (every node ok, three masters with a connected replica), or "". */
export async function redisClusterProblem(settings: StackSettings): Promise<string> {
  const ports = redisClusterPorts(settings);
  const masters: number[] = [];
  for (const port of ports) {
    const cluster = infoFields(await commandOnce(settings, port, "CLUSTER", "INFO"));
    if (cluster.get("cluster_state") !== "ok") return `${port}: cluster_state:${cluster.get("cluster_state")}`;
    const replication = infoFields(await commandOnce(settings, port, "INFO", "replication"));
    if (replication.get("role") === "master") {
      const replicas = replication.get("connected_slaves");
      if (replicas !== String(CLUSTER_SIZES.redisReplicasPerMaster)) return `${port}: ${replicas} replicas connected`;
      masters.push(port);
    } else if (replication.get("master_link_status") !== "up") {
      return `${port}: replica with master_link_status:${replication.get("master_link_status")}`;
    }
  }
  const expected = CLUSTER_SIZES.redisNodes / (1 + CLUSTER_SIZES.redisReplicasPerMaster);
  if (masters.length !== expected) return `masters ${masters.join(", ")}`;
  // CLUSTER SLOTS lists a replica only once its replication offset has reached the other nodes: until then, a
  // client that reads from replicas finds none.
  for (const port of ports) {
    const slots = await slotRanges(settings, port);
    const missing = slots.filter((nodes) => nodes !== 1 + CLUSTER_SIZES.redisReplicasPerMaster).length;
    if (missing > 0) return `${port}: ${missing} slot ranges without their replica in CLUSTER SLOTS`;
  }
  return "";
}

/** The number of nodes CLUSTER SLOTS lists for each slot range, asked of the node at `port`. */
async function slotRanges(settings: StackSettings, port: number): Promise<number[]> {
  const ranges = await replyOnce(settings, port, "CLUSTER", "SLOTS") as unknown[][];
  return ranges.map((range) => range.length - 2);
}

async function waitForHealthyCluster(settings: StackSettings): Promise<void> {
  await waitFor(
    async () => {
      const problem = await redisClusterProblem(settings);
      if (problem !== "") throw new Error(problem);
    },
    settings.startTimeoutSeconds * 1000,
    (last) => `the Redis Cluster in ${settings.dir} did not become whole (${last}); read its redis-<port>/redis.log`,
    250,
  );
}

/** Each node's cluster node id (CLUSTER MYID), by port order. */
export function redisClusterNodeIds(settings: StackSettings): Promise<string[]> {
  return Promise.all(redisClusterPorts(settings).map((port) => commandOnce(settings, port, "CLUSTER", "MYID")));
}

/** Stops every node. */
export async function stopRedisCluster(settings: StackSettings): Promise<boolean> {
  const stopped = await Promise.all(redisClusterNodes(settings).map(stopRedisNode));
  return stopped.some(Boolean);
}

/** The name and running pid (or undefined) of each node, for `status`. */
export function redisClusterStatus(settings: StackSettings): { name: string; pid: number | undefined }[] {
  return redisClusterNodes(settings).map((node) => ({ name: `redis-${node.port}`, pid: redisNodePid(node) }));
}

function nodeAt(settings: StackSettings, index: number): RedisNode {
  const node = redisClusterNodes(settings)[index];
  if (node === undefined) throw new RangeError(`no Redis node at index ${index} (0-${CLUSTER_SIZES.redisNodes - 1})`);
  return node;
}

/** SIGKILLs the node at `index` (0-5, port order), as a lost machine would; resolves once it is dead. */
export async function killRedisNode(settings: StackSettings, index: number): Promise<void> {
  await killNow(redisNodePid(nodeAt(settings, index)));
}

/**
 * Starts the node at `index` again (a no-op when it runs) and waits until the cluster is whole: a master killed
 * long enough for its replica to take over comes back as that one's replica.
 */
export async function restartRedisNode(settings: StackSettings, index: number): Promise<void> {
  const node = nodeAt(settings, index);
  await launchRedisNode(settings, node);
  await waitForPing(settings, node);
  await waitForHealthyCluster(settings);
}
