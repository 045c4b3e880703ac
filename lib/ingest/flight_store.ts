/** Stores flights in Redis through lua/upsert_flights.lua. */
import type { Redis } from "ioredis";
import type { Flight } from "../domain/flight.ts";
import { KEYED } from "../domain/order_stamp.ts";
import { appliedOffsetsKey, FLIGHT_ARRIVALS, FLIGHT_COUNT, flightKey } from "../infra/keys.ts";
import { offsetsByPartition, type PartitionStore } from "../consume/partition_store.ts";

/** Returns `store` (one Lua call per chunk) and `recordedOffset` for the flights of `topic`. */
export function createFlightStore(redis: Redis, topic: string): Promise<PartitionStore<Flight>> {
  return offsetsByPartition<Flight>(redis, "upsert_flights", appliedOffsetsKey(topic), (request) => {
    const keys = [FLIGHT_ARRIVALS, FLIGHT_COUNT, appliedOffsetsKey(topic)];
    const args: (string | number)[] = [request.partition, String(request.requiredOffset), request.lastOffset];
    for (const { offset, record, stamp } of request.records) {
      keys.push(flightKey(record.id));
      const bags = JSON.stringify(record.bags);
      args.push(offset, record.id, record.departure_time, record.arrival_time, bags, stamp ?? KEYED);
    }
    return { keys, args };
  });
}
