/** Stores flights in Redis through lua/upsert_flights.lua. */
import type { Redis } from "ioredis";
import type { Flight } from "../domain/flight.ts";
import { KEYED } from "../domain/order_stamp.ts";
import { appliedOffsetsKey, FLIGHT_ARRIVALS, FLIGHT_COUNT, flightKey } from "../infra/keys.ts";
import { loadScript } from "../infra/scripts.ts";
import {
  parseRecordedOffset,
  type PartitionStore,
  type StoreRequest,
  type StoreResult,
  toStoreResult,
} from "../consume/partition_store.ts";

/** Returns `store` (one Lua call per chunk) and `recordedOffset` for the flights of `topic`. */
export async function createFlightStore(redis: Redis, topic: string): Promise<PartitionStore<Flight>> {
  const script = await loadScript(redis, "upsert_flights");
  const store = async (request: StoreRequest<Flight>): Promise<StoreResult> => {
    const keys = [FLIGHT_ARRIVALS, FLIGHT_COUNT, appliedOffsetsKey(topic)];
    const args: (string | number)[] = [request.partition, String(request.requiredOffset), request.lastOffset];
    for (const { offset, record, stamp } of request.records) {
      keys.push(flightKey(record.id));
      const bags = JSON.stringify(record.bags);
      args.push(offset, record.id, record.departure_time, record.arrival_time, bags, stamp ?? KEYED);
    }
    return toStoreResult(await script.run(keys, args));
  };
  const recordedOffset = async (partition: number) =>
    parseRecordedOffset(await redis.hget(appliedOffsetsKey(topic), String(partition)));
  return { store, recordedOffset };
}
