/**
 * Reads what the scan needs from Redis in three rounds (flights, their bags' itineraries, the next
 * flights' departures) and computes each flight's work with nextDeparture(). The flights are read
 * with pipelined HMGETs; the itineraries and departures with lua/read_hash_fields.lua, a few hundred
 * keys a call, because one ioredis command per bag cost the scanner about 4 µs of CPU a bag, most of
 * a scan. Reads are not atomic across rounds: a change landing in between is corrected by the next scan's digest.
 */
import type { Redis } from "ioredis";
import { nextDeparture, type WorkContent } from "./domain/work.ts";
import { bagKey, flightKey } from "./keys.ts";
import { LuaScript, scriptSource } from "./scripts.ts";

/** A flight's computed work, or null when the flight hash has gone (expired or never stored). */
export type FlightWorkContent = WorkContent | null;

/** Computes the current work of each flight in `flightIds`, in the same order. */
export async function readFlightWork(redis: Redis, flightIds: readonly string[]): Promise<FlightWorkContent[]> {
  const flights = await pipelined(
    redis,
    flightIds,
    (pipeline, id) => pipeline.hmget(flightKey(id), "arrival_time", "bags"),
  );
  const manifests = flights.map((reply) => {
    const [arrival, bags] = reply as [string | null, string | null];
    return arrival === null ? null : { arrival: Number(arrival), bags: JSON.parse(bags ?? "[]") as string[] };
  });

  const bagIds = [...new Set(manifests.flatMap((manifest) => manifest?.bags ?? []))];
  const itineraryReplies = await readHashField(redis, bagIds.map(bagKey), "flights");
  const itineraries = new Map<string, string[] | null>();
  bagIds.forEach((id, index) => {
    const reply = itineraryReplies[index] ?? null;
    itineraries.set(id, reply === null ? null : JSON.parse(reply) as string[]);
  });

  const nextFlightIds = new Set<string>();
  flightIds.forEach((flightId, index) => {
    for (const bag of manifests[index]?.bags ?? []) {
      const itinerary = itineraries.get(bag);
      const position = itinerary?.indexOf(flightId) ?? -1;
      const next = position >= 0 ? itinerary?.[position + 1] : undefined;
      if (next !== undefined) nextFlightIds.add(next);
    }
  });
  const nextIds = [...nextFlightIds];
  const departureReplies = await readHashField(redis, nextIds.map(flightKey), "departure_time");
  const departures = new Map<string, number>();
  nextIds.forEach((id, index) => {
    const reply = departureReplies[index] ?? null;
    if (reply !== null) departures.set(id, Number(reply));
  });

  return flightIds.map((flightId, index) => {
    const manifest = manifests[index];
    if (!manifest) return null;
    const bags: Record<string, number> = {};
    const nextFlights: Record<string, string | null> = {};
    for (const bag of manifest.bags) {
      const { value, nextFlight } = nextDeparture(flightId, { itinerary: itineraries.get(bag) ?? null, departures });
      bags[bag] = value;
      nextFlights[bag] = nextFlight;
    }
    return { id: flightId, arrival_time: manifest.arrival, bags, next_flights: nextFlights };
  });
}

const readScripts = new WeakMap<Redis, LuaScript>();

/** Keys per read_hash_fields.lua call: a script blocks Redis, so each call stays well under a millisecond. */
const KEYS_PER_READ = 500;

/**
 * `field` of each hash in `keys`, in the same order (null when missing). The calls of one read are
 * sent together (ioredis pipelines them on the connection); the script is loaded on first use (NOSCRIPT).
 */
async function readHashField(redis: Redis, keys: readonly string[], field: string): Promise<(string | null)[]> {
  let script = readScripts.get(redis);
  if (!script) {
    script = new LuaScript("read_hash_fields", scriptSource("read_hash_fields"), redis);
    readScripts.set(redis, script);
  }
  const calls: Promise<unknown>[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_READ) {
    calls.push(script.run(keys.slice(start, start + KEYS_PER_READ), [field]));
  }
  return (await Promise.all(calls)).flat() as (string | null)[];
}

type Pipeline = ReturnType<Redis["pipeline"]>;

/** Runs one command per item in pipelines of at most 5,000 commands; throws on the first error reply. */
async function pipelined<T>(
  redis: Redis,
  items: readonly T[],
  add: (pipeline: Pipeline, item: T) => void,
): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let start = 0; start < items.length; start += 5000) {
    const pipeline = redis.pipeline();
    for (const item of items.slice(start, start + 5000)) add(pipeline, item);
    for (const [error, reply] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      replies.push(reply);
    }
  }
  return replies;
}
