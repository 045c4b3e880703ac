/** Stores bag itineraries in Redis through lua/upsert_bags.lua, on one node or a Redis Cluster (see upsert_store.ts). */
import type { Bag } from "../domain/bag.ts";
import { KEYED } from "../domain/order_stamp.ts";
import { bagCountKey, bagKey } from "../infra/keys.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { PartitionStore } from "../consume/partition_store.ts";
import type { MarkWindow } from "./mark_window.ts";
import { createUpsertStore } from "./upsert_store.ts";

/**
 * Returns `store` (one Lua call per chunk, or per master on a cluster, marking the due flights whose work changes as
 * `window` has them) and `recordedOffset` for the bags of `topic`.
 */
export function createBagStore(redis: RedisClient, topic: string, window: MarkWindow): Promise<PartitionStore<Bag>> {
  return createUpsertStore<Bag>({
    redis,
    script: "upsert_bags",
    topic,
    keyOf: (bag) => bagKey(bag.id),
    dataPattern: bagCountKey(":{*}"),
    window,
    encode: (request, share, marks) => {
      const keys: string[] = [];
      const offsets: string[] = [];
      const itineraries: string[] = [];
      let stamped = false;
      for (const { offset, record, stamp } of share.records) {
        keys.push(bagKey(record.id));
        offsets.push(offset);
        itineraries.push(JSON.stringify(record.flights));
        if (stamp !== undefined) stamped = true;
      }
      // Messages with keys (the common case) send no stamps at all.
      const stamps = stamped ? share.records.map((parsed) => parsed.stamp ?? KEYED).join(",") : "";
      const head = [
        request.partition,
        String(request.requiredOffset),
        request.lastOffset,
        offsets.join(","),
        stamps,
        marks.from,
        marks.until,
        marks.nowMs,
        marks.hours,
        share.scopes ? share.scopes.join(",") : "",
      ];
      return { keys: [share.recordKey], args: [...head, ...keys, ...itineraries] };
    },
  });
}
