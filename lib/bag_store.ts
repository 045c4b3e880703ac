/** Stores bag itineraries in Redis through lua/upsert_bags.lua. */
import type { Redis } from "ioredis";
import type { StoreRequest, StoreResult } from "./batch_consumer.ts";
import type { Bag } from "./domain/bag.ts";
import { appliedOffsetsKey, BAG_COUNT, bagKey } from "./keys.ts";
import { loadScript } from "./scripts.ts";
import { toStoreResult } from "./upsert_result.ts";

/** Returns `store` (one Lua call per chunk) and `hasState` (is the partition recorded) for the bags of `topic`. */
export async function createBagStore(redis: Redis, topic: string) {
  const script = await loadScript(redis, "upsert_bags");
  const store = async (request: StoreRequest<Bag>): Promise<StoreResult> => {
    const keys = [BAG_COUNT, appliedOffsetsKey(topic)];
    const offsets: string[] = [];
    const itineraries: string[] = [];
    for (const { offset, record } of request.records) {
      keys.push(bagKey(record.id));
      offsets.push(offset);
      itineraries.push(JSON.stringify(record.flights));
    }
    const args = [request.partition, request.mustHaveState ? "1" : "0", request.lastOffset, offsets.join(",")];
    return toStoreResult(await script.run(keys, [...args, ...itineraries]));
  };
  const hasState = async (partition: number) =>
    (await redis.hexists(appliedOffsetsKey(topic), String(partition))) === 1;
  return { store, hasState };
}
