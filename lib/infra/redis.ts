/** Redis client factory: one primary (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES). */
import { Cluster, Redis } from "ioredis";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";

export type { Cluster, Redis };
/** A client of one primary or of a cluster: the processes the registry marks `redisCluster` take either. */
export type RedisClient = Redis | Cluster;

const backoff = (attempt: number) => Math.min(2000, 50 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 100);

/** Connects to `url`, retrying with capped backoff and jitter; commands queue while reconnecting. */
export async function connectRedis(url: string, name: string, logger?: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: backoff,
  });
  redis.on("error", (error: Error) => logger?.warn({ err: error.message }, "redis connection error"));
  await redis.connect();
  return redis;
}

/**
 * Connects to the configured Redis: a cluster client when REDIS_CLUSTER_NODES is set (REDIS_URL then gives the
 * credentials and TLS of every node; reads go to replicas with REDIS_READ_FROM=replica), else REDIS_URL's primary.
 */
export async function connectRedisClient(config: Config, name: string, logger?: Logger): Promise<RedisClient> {
  if (!config.redisCluster) return await connectRedis(config.redisUrl, name, logger);
  const url = new URL(config.redisUrl);
  const cluster = new Cluster(config.redisCluster.nodes, {
    lazyConnect: true,
    scaleReads: config.redisCluster.readFrom === "replica" ? "slave" : "master",
    clusterRetryStrategy: backoff,
    // Failovers and replicas that joined are seen within seconds even where no MOVED says so.
    slotsRefreshInterval: 5_000,
    redisOptions: {
      connectionName: name,
      username: url.username === "" ? undefined : decodeURIComponent(url.username),
      password: url.password === "" ? undefined : decodeURIComponent(url.password),
      tls: url.protocol === "rediss:" ? {} : undefined,
      maxRetriesPerRequest: null,
    },
  });
  cluster.on("error", (error: Error) => logger?.warn({ err: error.message }, "redis cluster connection error"));
  await cluster.connect();
  return cluster;
}

/** Health check: Redis answers PING. */
export function redisHealth(redis: RedisClient) {
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
