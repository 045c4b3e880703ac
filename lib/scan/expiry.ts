/**
 * Keeps Redis to recent data: flights that arrived more than DATA_RETENTION_SECONDS ago are deleted,
 * with the bags whose itinerary ends on one of them (or is empty or unknown). Bounded per call. On a Redis Cluster, each
 * master deletes the flights and bags it serves, with their per-slot aggregates, in one call.
 */
import type { Redis } from "ioredis";
import { bagKey, flightKey } from "../infra/keys.ts";
import { callPerNode, readPerNode } from "../infra/node_calls.ts";
import type { RedisClient } from "../infra/redis.ts";
import { scriptsOf } from "../infra/scripts.ts";
import { flightsArrivingBetween } from "./slot_aggregates.ts";

/** Flights expired per call, so one call stays a short script. */
const FLIGHTS_PER_CALL = 200;

/** What expiry deletes: a flight, or a bag whose journey ended with the flights expiring. */
type Expiring = { readonly flight: string } | { readonly bag: string };
const keyOf = (item: Expiring) => "flight" in item ? flightKey(item.flight) : bagKey(item.bag);

/** Deletes up to FLIGHTS_PER_CALL expired flights and their finished bags; returns what was deleted. */
export async function expireOldFlights(
  redis: RedisClient,
  nowSeconds: number,
  retentionSeconds: number,
): Promise<{ flights: number; bags: number }> {
  const flightIds = await flightsArrivingBetween(redis, "-inf", `(${nowSeconds - retentionSeconds}`, FLIGHTS_PER_CALL);
  if (flightIds.length === 0) return { flights: 0, bags: 0 };
  const expiring = new Set(flightIds);

  const manifests = await readPerNode(
    redis,
    flightIds,
    flightKey,
    ({ node, items }) => fieldOf(node, items.map(flightKey), "bags"),
  );
  const bagIds = [...new Set(manifests.flatMap((bags) => JSON.parse(bags ?? "[]") as string[]))];
  const itineraries = await readPerNode(
    redis,
    bagIds,
    bagKey,
    ({ node, items }) => fieldOf(node, items.map(bagKey), "flights"),
  );
  const finished = bagIds.filter((_, index) => {
    const itinerary = JSON.parse(itineraries[index] ?? "[]") as string[];
    const last = itinerary.at(-1);
    return last === undefined || expiring.has(last);
  });

  // The sweep needs to know a flight expired for as long as one pass over the bags takes: another retention period.
  const forgetBefore = nowSeconds - 2 * retentionSeconds;
  const items: Expiring[] = [...flightIds.map((flight) => ({ flight })), ...finished.map((bag) => ({ bag }))];
  const deleted = await callPerNode(redis, items, keyOf, async ({ node, items: share, scopes }) => {
    const flights = share.flatMap((item, index) => "flight" in item ? [item.flight, keyOf(item), scopes[index]!] : []);
    const bags = share.flatMap((item, index) => "bag" in item ? [keyOf(item), scopes[index]!] : []);
    const args = [forgetBefore, flights.length / 3, ...flights, ...bags];
    return await scriptsOf(node).expire_flights.run([], args) as [number, number];
  });
  return deleted.reduce((total, [flights, bags]) => ({ flights: total.flights + flights, bags: total.bags + bags }), {
    flights: 0,
    bags: 0,
  });
}

/** One field of each hash of `keys`, in their order (null when missing), in one pipeline. */
async function fieldOf(node: Redis, keys: readonly string[], field: string): Promise<(string | null)[]> {
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.hget(key, field);
  return ((await pipeline.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value as string | null;
  });
}
