/** Stores flights in Redis through lua/upsert_flights.lua. */
import type { Redis } from "ioredis";
import type { StoreRequest, StoreResult } from "./batch_consumer.ts";
import type { Flight } from "./domain/flight.ts";
import { appliedOffsetsKey, FLIGHT_ARRIVALS, FLIGHT_COUNT, flightKey } from "./keys.ts";
import { loadScript } from "./scripts.ts";
import { toStoreResult } from "./upsert_result.ts";

/** Returns `store` (one Lua call per chunk) and `hasState` (is the partition recorded) for the flights of `topic`. */
export async function createFlightStore(redis: Redis, topic: string) {
  const script = await loadScript(redis, "upsert_flights");
  const store = async (request: StoreRequest<Flight>): Promise<StoreResult> => {
    const keys = [FLIGHT_ARRIVALS, FLIGHT_COUNT, appliedOffsetsKey(topic)];
    const args: (string | number)[] = [request.partition, request.mustHaveState ? "1" : "0", request.lastOffset];
    for (const { offset, record } of request.records) {
      keys.push(flightKey(record.id));
      args.push(offset, record.id, record.departure_time, record.arrival_time, JSON.stringify(record.bags));
    }
    return toStoreResult(await script.run(keys, args));
  };
  const hasState = async (partition: number) =>
    (await redis.hexists(appliedOffsetsKey(topic), String(partition))) === 1;
  return { store, hasState };
}
