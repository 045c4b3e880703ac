/** Builds a worker's ServiceContext for in-process tests, with a fresh metrics registry. */
import { Registry } from "prom-client";
import { systemClock } from "../../lib/infra/clock.ts";
import type { Config } from "../../lib/infra/config.ts";
import { createKafka } from "../../lib/infra/kafka.ts";
import { connectRedis } from "../../lib/infra/redis.ts";
import type { ServiceContext } from "../../lib/infra/service.ts";
import { testLogger } from "./fixtures.ts";

/** A context like runService() builds, and a function that closes its Redis connection. */
export async function testContext(config: Config): Promise<ServiceContext & { closeContext(): Promise<void> }> {
  const logger = testLogger(config.service);
  const redis = await connectRedis(config.redisUrl, `test-${config.service}`);
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
