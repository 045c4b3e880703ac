/** Reading Redis state for exact comparisons. */
import { Cluster, type Redis } from "ioredis";
import { splitByNode } from "../../lib/infra/cluster_calls.ts";
import { appliedOffsetsKey, nodeOffsetsKey } from "../../lib/infra/keys.ts";
import type { RedisClient } from "../../lib/infra/redis.ts";

/** Every key matching `pattern` with its full value, sorted by key: a snapshot to compare with deepEqual. */
export async function snapshot(redis: Redis, pattern = "*"): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(pattern)).sort();
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === "hash") result[key] = await redis.hgetall(key);
    else if (type === "zset") result[key] = await redis.zrange(key, 0, -1, "WITHSCORES");
    else if (type === "string") result[key] = await redis.get(key);
    else if (type === "stream") result[key] = await redis.xlen(key);
    else result[key] = type;
  }
  return result;
}

/** How many messages of `topic` Redis records as applied: the applied offsets added up. */
export async function appliedMessages(redis: RedisClient, topic: string): Promise<number> {
  const offsets = await appliedOffsets(redis, topic);
  return Object.values(offsets).reduce((sum, offset) => sum + offset + 1, 0);
}

/**
 * Partition -> the last offset of `topic` applied: on a cluster, the lowest of the masters' records (a partition a
 * master has no record of is not counted).
 */
async function appliedOffsets(redis: RedisClient, topic: string): Promise<Record<string, number>> {
  const parse = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([partition, offset]) => [partition, Number(offset)]));
  if (!(redis instanceof Cluster)) return parse(await redis.hgetall(appliedOffsetsKey(topic)));
  const records = await Promise.all(
    splitByNode(redis, [], String, true).map(async ({ tag }) => parse(await redis.hgetall(nodeOffsetsKey(topic, tag)))),
  );
  const lowest: Record<string, number> = {};
  for (const partition of Object.keys(records[0] ?? {})) {
    if (records.every((record) => partition in record)) {
      lowest[partition] = Math.min(...records.map((record) => record[partition]!));
    }
  }
  return lowest;
}
