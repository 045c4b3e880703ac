/** Stores bag itineraries in Redis through lua/upsert_bags.lua. */
import type { Redis } from "ioredis";
import type { Bag } from "./domain/bag.ts";
import { appliedOffsetsKey, BAG_COUNT, bagKey } from "./keys.ts";
import { loadScript } from "./scripts.ts";
import {
  parseRecordedOffset,
  type PartitionStore,
  type StoreRequest,
  type StoreResult,
  toStoreResult,
} from "./partition_store.ts";

/** Returns `store` (one Lua call per chunk) and `recordedOffset` for the bags of `topic`. */
export async function createBagStore(redis: Redis, topic: string): Promise<PartitionStore<Bag>> {
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
    const args = [request.partition, String(request.requiredOffset), request.lastOffset, offsets.join(",")];
    return toStoreResult(await script.run(keys, [...args, ...itineraries]));
  };
  const recordedOffset = async (partition: number) =>
    parseRecordedOffset(await redis.hget(appliedOffsetsKey(topic), String(partition)));
  return { store, recordedOffset };
}
