/** `deno task tail`: follows the work stream as a reader of a consumer group, printing entries as JSON lines. */
import type { Closable, ServiceContext } from "../infra/service.ts";
import type { RedisClient } from "../infra/redis.ts";
import { WorkStreamReader } from "./stream_reader.ts";

/** Starts reading; every handled entry is printed on stdout. */
export async function startTail({ config, redis, logger }: ServiceContext<"redis", RedisClient>): Promise<Closable> {
  const { tail } = config;
  const reader = new WorkStreamReader(redis.duplicate(), {
    stream: config.stream.key,
    group: tail.group,
    consumer: tail.consumer,
    startAt: tail.startAt === "start" ? "0" : "$",
    ...(tail.flightId ? { flightId: tail.flightId } : {}),
    ...(tail.bagId ? { bagId: tail.bagId } : {}),
    claimIdleMs: tail.claimIdleMs,
    count: 100,
    blockMs: 2_000,
  }, logger);
  await reader.start(async (entry) => void console.log(JSON.stringify(entry)));
  logger.info({ stream: config.stream.key, group: tail.group, consumer: tail.consumer }, "following the work stream");
  return reader;
}
