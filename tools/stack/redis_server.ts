/**
 * The stack's Redis: Debian's redis-server from PATH, installed with apt-get when missing and allowed. The single
 * topology runs one; the cluster topology six of the same kind (redis_cluster.ts).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pingRedisOnce } from "../../lib/infra/redis.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { killNow, requireFreePort, runningPid, startDetached, stopRecorded } from "./daemons.ts";
import { onPath, runSync } from "../processes.ts";
import { workerAclRule } from "./redis_acl.ts";
import type { StackSettings } from "./settings.ts";

/** One redis-server of the stack: its port, folder and what it runs with beyond the arguments every node shares. */
export interface RedisNode {
  readonly port: number;
  /** A cluster node's bus port (0 for the single Redis). */
  readonly busPort: number;
  /** Its folder: data, redis.log, redis.pid (and nodes.conf for a cluster node). */
  readonly dataDir: string;
  readonly persistence: "none" | "aof";
  /** Arguments of this kind of node only (the cluster's). */
  readonly extraArgs: readonly string[];
  /** For messages: "Redis", "Redis node 127.0.0.1:7001". */
  readonly label: string;
}

const files = (node: RedisNode) => ({
  log: join(node.dataDir, "redis.log"),
  pid: join(node.dataDir, "redis.pid"),
});

/** The single topology's Redis, in `<STACK_DIR>/redis`. */
const singleNode = (settings: StackSettings): RedisNode => ({
  port: settings.redisPort,
  busPort: 0,
  dataDir: join(settings.dir, "redis"),
  persistence: settings.redisPersistence,
  extraArgs: [],
  label: "Redis",
});

/** Makes sure `redis-server` is installed, installing Debian's package when running as root. */
export function ensureRedisInstalled(): void {
  if (onPath("redis-server")) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath("apt-get")) {
    throw new Error(
      "redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server) and retry.",
    );
  }
  console.error("stack: installing redis-server with apt-get…");
  runSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"]);
}

/**
 * Starts Redis (loopback only) unless the recorded one is running; waits for PING. Without persistence it
 * writes nothing by itself, but loads a snapshot taken with SAVE when it starts again, as a restored RDB would.
 */
export async function startRedis(settings: StackSettings): Promise<void> {
  const node = singleNode(settings);
  await launchRedisNode(settings, node);
  await waitForPing(settings, node);
}

/** Starts `node` unless its recorded process runs, without waiting for it. */
export async function launchRedisNode(settings: StackSettings, node: RedisNode): Promise<void> {
  const f = files(node);
  if (runningPid(f.pid) !== undefined) return;
  await requireFreePort(node.port, node.label, "STACK_REDIS_PORT");
  if (node.busPort !== 0) await requireFreePort(node.busPort, `${node.label}'s cluster bus`, "STACK_REDIS_PORT");
  ensureRedisInstalled();
  mkdirSync(node.dataDir, { recursive: true });
  startDetached(
    "redis-server",
    [
      "--port",
      String(node.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      node.dataDir,
      "--save",
      "",
      ...(node.persistence === "aof" ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]),
      "--daemonize",
      "no",
      // Itineraries of 2-3 flights exceed the default 64 bytes; the compact encoding saves ~40 bytes a bag.
      "--hash-max-listpack-value",
      "128",
      ...aclArguments(settings),
      ...node.extraArgs,
    ],
    f.log,
    f.pid,
  );
}

/** Waits until `node` answers PING, for the administrator. */
export async function waitForPing(settings: StackSettings, node: RedisNode): Promise<void> {
  await waitFor(
    () => pingRedisOnce(redisAdminUrl(settings, node.port)),
    settings.startTimeoutSeconds * 1000,
    (last) => `${node.label} did not answer PING on port ${node.port} (${last}); read ${files(node).log}`,
  );
}

/** ACL arguments: a password for the administrator and a user limited to what the workers need. */
function aclArguments(settings: StackSettings): string[] {
  const args: string[] = [];
  if (settings.redisAdminPassword !== undefined) {
    args.push("--user", "default", "on", `>${settings.redisAdminPassword}`, "~*", "&*", "+@all");
  }
  if (settings.redisWorkerPassword !== undefined) {
    args.push("--user", ...workerAclRule(settings.redisWorkerUser, settings.redisWorkerPassword));
  }
  return args;
}

/** The administrator's URL of the stack's Redis. */
export function stackRedisAdminUrl(settings: StackSettings): string {
  return redisAdminUrl(settings, settings.redisPort);
}

/** The administrator's URL of the stack's Redis node on `port`. */
export function redisAdminUrl(settings: StackSettings, port: number): string {
  const auth = settings.redisAdminPassword === undefined
    ? ""
    : `default:${encodeURIComponent(settings.redisAdminPassword)}@`;
  return `redis://${auth}127.0.0.1:${port}`;
}

/** Stops the recorded Redis process. */
export function stopRedis(settings: StackSettings): Promise<boolean> {
  return stopRedisNode(singleNode(settings));
}

/** Stops `node`'s recorded process. */
export function stopRedisNode(node: RedisNode): Promise<boolean> {
  return stopRecorded(files(node).pid);
}

/** Kills the recorded Redis with SIGKILL, as a crash would: what it had not written to disk is lost. */
export async function crashRedis(settings: StackSettings): Promise<void> {
  await killNow(redisPid(settings));
}

/** The recorded Redis pid when it runs. */
export function redisPid(settings: StackSettings): number | undefined {
  return redisNodePid(singleNode(settings));
}

/** `node`'s recorded pid when it runs. */
export function redisNodePid(node: RedisNode): number | undefined {
  return runningPid(files(node).pid);
}
