/** The bag consumer: `bags` topic -> Redis bag hashes. */
import { BAG_CONSUMER_METRICS } from "../consume/consumer_metrics.ts";
import { type Bag, parseBag } from "../domain/bag.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { ServiceContext } from "../infra/service.ts";
import { createBagStore } from "./bag_store.ts";
import { startInputConsumer } from "./input_consumer.ts";
import { markWindowOf } from "./mark_window.ts";

/** Builds and starts the bag consumer. */
export async function startBagConsumer(context: ServiceContext<"kafka" | "redis", RedisClient>) {
  const { config, redis, clock } = context;
  return await startInputConsumer<Bag>(context, {
    topic: config.topics.bags,
    metricNames: BAG_CONSUMER_METRICS,
    // A flight listed twice in a row is dropped (counted and logged once per message); twice apart is ambiguous
    // and dead-lettered by parseBag.
    parse: (message, reportDropped) => parseBag(message.value, config.limits, reportDropped),
    store: await createBagStore(redis, config.topics.bags, markWindowOf(config, clock)),
  });
}
