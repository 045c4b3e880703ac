/** Reading Redis state for exact comparisons. */
import type { Redis } from "ioredis";

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

/** Polls Redis until the applied offsets of `topic` add up to `total` messages. */
export async function appliedMessages(redis: Redis, topic: string): Promise<number> {
  const offsets = await redis.hvals(`offsets:${topic}`);
  return offsets.reduce((sum, offset) => sum + Number(offset) + 1, 0);
}
