/**
 * Keeps Redis to recent data: flights that arrived more than DATA_RETENTION_SECONDS ago are deleted,
 * with the bags whose itinerary ends on one of them (or is empty or unknown). Bounded per call.
 */
import type { Redis } from "ioredis";
import {
  BAG_COUNT,
  bagKey,
  FLIGHT_ARRIVALS,
  FLIGHT_COUNT,
  flightKey,
  FLIGHTS_ARRIVED,
  FLIGHTS_EXPIRED,
} from "../infra/keys.ts";
import { scriptsOf } from "../infra/scripts.ts";

/** Flights expired per call, so one call stays a short script. */
const FLIGHTS_PER_CALL = 200;

/** Deletes up to FLIGHTS_PER_CALL expired flights and their finished bags; returns what was deleted. */
export async function expireOldFlights(
  redis: Redis,
  nowSeconds: number,
  retentionSeconds: number,
): Promise<{ flights: number; bags: number }> {
  const flightIds = await redis.zrangebyscore(
    FLIGHT_ARRIVALS,
    "-inf",
    `(${nowSeconds - retentionSeconds}`,
    "LIMIT",
    0,
    FLIGHTS_PER_CALL,
  );
  if (flightIds.length === 0) return { flights: 0, bags: 0 };
  const expiring = new Set(flightIds);

  const manifests = await redis.pipeline(flightIds.map((id) => ["hget", flightKey(id), "bags"])).exec() ?? [];
  const bagIds = [...new Set(manifests.flatMap(([, bags]) => JSON.parse((bags as string | null) ?? "[]") as string[]))];
  const itineraries = await redis.pipeline(bagIds.map((id) => ["hget", bagKey(id), "flights"])).exec() ?? [];
  const finished = bagIds.filter((_, index) => {
    const itinerary = JSON.parse((itineraries[index]?.[1] as string | null) ?? "[]") as string[];
    const last = itinerary.at(-1);
    return last === undefined || expiring.has(last);
  });

  const keys = [
    FLIGHT_ARRIVALS,
    FLIGHTS_ARRIVED,
    FLIGHT_COUNT,
    BAG_COUNT,
    FLIGHTS_EXPIRED,
    ...flightIds.map(flightKey),
    ...finished.map(bagKey),
  ];
  // The sweep needs to know a flight expired for as long as one pass over the bags takes: another retention period.
  const forgetBefore = nowSeconds - 2 * retentionSeconds;
  const args = [flightIds.length, forgetBefore, ...flightIds];
  const [flights, bags] = await scriptsOf(redis).expire_flights.run(keys, args) as [number, number];
  return { flights, bags };
}
