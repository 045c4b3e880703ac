/** Stores flights in Redis through lua/upsert_flights.lua. */
import type { Redis } from "ioredis";
import type { FlightMessage } from "../domain/flight.ts";
import { KEYED } from "../domain/order_stamp.ts";
import {
  appliedOffsetsKey,
  dueNextFlightsKey,
  FLIGHT_ARRIVALS,
  FLIGHT_COUNT,
  flightKey,
  WORK_MARKS,
} from "../infra/keys.ts";
import { offsetsByPartition, type PartitionStore } from "../consume/partition_store.ts";
import { markInputs, type MarkWindow } from "./mark_window.ts";

/**
 * Returns `store` (one Lua call per chunk, marking the due flights whose work changes as `window` has them)
 * and `recordedOffset` for the flights of `topic`.
 */
export function createFlightStore(
  redis: Redis,
  topic: string,
  window: MarkWindow,
): Promise<PartitionStore<FlightMessage>> {
  return offsetsByPartition<FlightMessage>(redis, "upsert_flights", appliedOffsetsKey(topic), (request) => {
    const marks = markInputs(window, dueNextFlightsKey);
    const keys = [FLIGHT_ARRIVALS, FLIGHT_COUNT, appliedOffsetsKey(topic), WORK_MARKS, ...marks.keys];
    const args: (string | number)[] = [
      request.partition,
      String(request.requiredOffset),
      request.lastOffset,
      ...marks.args,
    ];
    for (const { offset, record, stamp } of request.records) {
      keys.push(flightKey(record.id));
      // "" (never a JSON array) for a message without a manifest: the stored one stays.
      const bags = record.bags === undefined ? "" : JSON.stringify(record.bags);
      args.push(offset, record.id, record.departure_time, record.arrival_time, bags, stamp ?? KEYED);
    }
    return { keys, args };
  });
}
