/** Stores flights in Redis through lua/upsert_flights.lua, on one node or a Redis Cluster (see upsert_store.ts). */
import type { FlightMessage } from "../domain/flight.ts";
import { KEYED } from "../domain/order_stamp.ts";
import { flightCountKey, flightKey } from "../infra/keys.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { PartitionStore } from "../consume/partition_store.ts";
import type { MarkWindow } from "./mark_window.ts";
import { createUpsertStore } from "./upsert_store.ts";

/**
 * Returns `store` (one Lua call per chunk, or per master on a cluster, marking the due flights whose work changes as
 * `window` has them) and `recordedOffset` for the flights of `topic`.
 */
export function createFlightStore(
  redis: RedisClient,
  topic: string,
  window: MarkWindow,
): Promise<PartitionStore<FlightMessage>> {
  return createUpsertStore<FlightMessage>({
    redis,
    script: "upsert_flights",
    topic,
    keyOf: (flight) => flightKey(flight.id),
    dataPattern: flightCountKey(":{*}"),
    window,
    encode: (request, share, marks) => {
      const args: (string | number)[] = [
        request.partition,
        String(request.requiredOffset),
        request.lastOffset,
        marks.from,
        marks.until,
        marks.nowMs,
        marks.hours,
        share.scopes ? "cluster" : "",
      ];
      share.records.forEach(({ offset, record, stamp }, i) => {
        // "" (never a JSON array) for a message without a manifest: the stored one stays.
        const bags = record.bags === undefined ? "" : JSON.stringify(record.bags);
        const scope = share.scopes?.[i] ?? "";
        args.push(
          offset,
          flightKey(record.id),
          scope,
          record.id,
          record.departure_time,
          record.arrival_time,
          bags,
          stamp ?? KEYED,
        );
      });
      return { keys: [share.recordKey, share.marksKey], args };
    },
  });
}
