/** Stores bag itineraries in Redis through lua/upsert_bags.lua. */
import type { Redis } from "ioredis";
import type { Bag } from "../domain/bag.ts";
import { KEYED } from "../domain/order_stamp.ts";
import { appliedOffsetsKey, BAG_COUNT, bagKey, dueBagsKey, FLIGHT_ARRIVALS, WORK_MARKS } from "../infra/keys.ts";
import { offsetsByPartition, type PartitionStore } from "../consume/partition_store.ts";
import { markInputs, type MarkWindow } from "./mark_window.ts";

/**
 * Returns `store` (one Lua call per chunk, marking the due flights whose work changes as `window` has them)
 * and `recordedOffset` for the bags of `topic`.
 */
export function createBagStore(redis: Redis, topic: string, window: MarkWindow): Promise<PartitionStore<Bag>> {
  return offsetsByPartition<Bag>(redis, "upsert_bags", appliedOffsetsKey(topic), (request) => {
    const marks = markInputs(window, dueBagsKey);
    const keys = [BAG_COUNT, appliedOffsetsKey(topic), FLIGHT_ARRIVALS, WORK_MARKS, ...marks.keys];
    const offsets: string[] = [];
    const itineraries: string[] = [];
    let stamped = false;
    for (const { offset, record, stamp } of request.records) {
      keys.push(bagKey(record.id));
      offsets.push(offset);
      itineraries.push(JSON.stringify(record.flights));
      if (stamp !== undefined) stamped = true;
    }
    // Messages with keys (the common case) send no stamps at all.
    const stamps = stamped ? request.records.map((parsed) => parsed.stamp ?? KEYED).join(",") : "";
    const head = [
      request.partition,
      String(request.requiredOffset),
      request.lastOffset,
      offsets.join(","),
      stamps,
      ...marks.args,
    ];
    return { keys, args: [...head, ...itineraries] };
  });
}
