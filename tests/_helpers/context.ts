/** Builds a worker's ServiceContext for in-process tests, with a fresh metrics registry. */
import type { Redis } from "ioredis";
import { Registry } from "prom-client";
import { systemClock } from "../../lib/infra/clock.ts";
import type { Config } from "../../lib/infra/config.ts";
import { createKafka } from "../../lib/infra/kafka.ts";
import { connectRedis, connectRedisClient, type RedisClient } from "../../lib/infra/redis.ts";
import type { ServiceContext } from "../../lib/infra/service.ts";
import { testLogger } from "./fixtures.ts";

type TestContext<R extends RedisClient> = ServiceContext<"kafka" | "redis", R> & { closeContext(): Promise<void> };

/** A context like runService() builds around `redis`, and a function that closes it. */
function contextOf<R extends RedisClient>(config: Config, redis: R): TestContext<R> {
  const logger = testLogger(config.service);
  return {
    config,
    logger,
    registry: new Registry(),
    clock: systemClock,
    kafka: createKafka(config, logger),
    redis,
    closeContext: async () => void (await redis.quit()),
  };
}

/** A context on REDIS_URL's one Redis. */
export async function testContext(config: Config): Promise<TestContext<Redis>> {
  return contextOf(config, await connectRedis(config.redisUrl, `test-${config.service}`));
}

/** The same for a process that runs on either topology: a cluster client when `config` has REDIS_CLUSTER_NODES. */
export async function testClientContext(config: Config): Promise<TestContext<RedisClient>> {
  return contextOf(config, await connectRedisClient(config, `test-${config.service}`));
}
