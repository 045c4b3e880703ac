/** The stack's Redis: Debian's redis-server from PATH, installed with apt-get when missing and allowed. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pingRedisOnce } from "../../lib/infra/redis.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { isAlive, requireFreePort, runningPid, startDetached, stopRecorded } from "./daemons.ts";
import { onPath, runSync } from "../processes.ts";
import { workerAclRule } from "./redis_acl.ts";
import type { StackSettings } from "./settings.ts";

const files = (settings: StackSettings) => ({
  dataDir: join(settings.dir, "redis"),
  log: join(settings.dir, "redis", "redis.log"),
  pid: join(settings.dir, "redis", "redis.pid"),
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
  const f = files(settings);
  if (runningPid(f.pid) === undefined) {
    await requireFreePort(settings.redisPort, "Redis", "STACK_REDIS_PORT");
    ensureRedisInstalled();
    mkdirSync(f.dataDir, { recursive: true });
    startDetached(
      "redis-server",
      [
        "--port",
        String(settings.redisPort),
        "--bind",
        "127.0.0.1",
        "--dir",
        f.dataDir,
        "--save",
        "",
        ...persistenceArguments(settings),
        "--daemonize",
        "no",
        // Itineraries of 2-3 flights exceed the default 64 bytes; the compact encoding saves ~40 bytes a bag.
        "--hash-max-listpack-value",
        "128",
        ...aclArguments(settings),
      ],
      f.log,
      f.pid,
    );
  }
  await waitFor(
    () => pingRedisOnce(stackRedisAdminUrl(settings)),
    settings.startTimeoutSeconds * 1000,
    (last) => `Redis did not answer PING on port ${settings.redisPort} (${last}); read ${f.log}`,
  );
}

function persistenceArguments(settings: StackSettings): string[] {
  if (settings.redisPersistence === "aof") return ["--appendonly", "yes", "--appendfsync", "everysec"];
  return ["--appendonly", "no"];
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
  const auth = settings.redisAdminPassword === undefined
    ? ""
    : `default:${encodeURIComponent(settings.redisAdminPassword)}@`;
  return `redis://${auth}127.0.0.1:${settings.redisPort}`;
}

/** Stops the recorded Redis process. */
export function stopRedis(settings: StackSettings): Promise<boolean> {
  return stopRecorded(files(settings).pid);
}

/** Kills the recorded Redis with SIGKILL, as a crash would: what it had not written to disk is lost. */
export async function crashRedis(settings: StackSettings): Promise<void> {
  const pid = redisPid(settings);
  if (pid === undefined) return;
  process.kill(pid, "SIGKILL");
  await waitFor(() => !isAlive(pid), 10_000);
}

/** The recorded Redis pid when it runs. */
export function redisPid(settings: StackSettings): number | undefined {
  return runningPid(files(settings).pid);
}
