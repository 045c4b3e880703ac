/** Redis client factory. */
import { Redis } from "ioredis";
import type { Logger } from "./log.ts";

export type { Redis };

/** Connects to `url`, retrying with capped backoff and jitter; commands queue while reconnecting. */
export async function connectRedis(url: string, name: string, logger?: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 100),
  });
  redis.on("error", (error: Error) => logger?.warn({ err: error.message }, "redis connection error"));
  await redis.connect();
  return redis;
}

/** Health check: Redis answers PING. */
export function redisHealth(redis: Redis) {
  return async () => {
    if ((await redis.ping()) !== "PONG") throw new Error("Redis did not answer PONG");
  };
}

/** One PING over a short-lived connection that does not retry; throws when Redis does not answer. */
export async function pingRedisOnce(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}
