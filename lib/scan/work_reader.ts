/**
 * Reads what the scan needs from Redis in three rounds (flights, their bags' itineraries, the next
 * flights' departures) and computes each flight's work with nextDeparture(). The flights are read
 * with pipelined HMGETs; the itineraries and departures with lua/read_hash_fields.lua, a few hundred
 * keys a call, because one ioredis command per bag cost the scanner about 4 µs of CPU a bag, most of
 * a scan. Reads are not atomic across rounds: a change landing in between is corrected by the next scan's digest.
 * Stored data that does not parse (written by something else than our upserts) makes only its own flights
 * unreadable: they are reported with the reason, and every other flight is computed as usual.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { nextDeparture, type WorkContent } from "../domain/work.ts";
import { bagKey, flightKey } from "../infra/keys.ts";
import { UnreadableData } from "../infra/errors.ts";
import { scriptsOf } from "../infra/scripts.ts";

/** A flight whose stored data does not parse: why, and a digest of that data (it is retried once it changes). */
export interface UnreadableFlight {
  readonly id: string;
  readonly unreadable: string;
  readonly digest: string;
}

/** A flight's computed work, an unreadable flight, or null when the flight hash has gone (expired or never stored). */
export type FlightWorkContent = WorkContent | UnreadableFlight | null;

/** Whether `content` is a flight whose stored data does not parse. */
export const isUnreadable = (content: FlightWorkContent): content is UnreadableFlight =>
  content !== null && "unreadable" in content;

const rawDigest = (parts: readonly (string | null)[]) =>
  createHash("sha1").update(JSON.stringify(parts)).digest("base64");

/** Parses a stored JSON list of ids; throws UnreadableData when it is not one. */
function parseIdList(text: string, key: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnreadableData(key, "holds no JSON");
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new UnreadableData(key, "holds no list of ids");
  }
  return value as string[];
}

const reasonOf = (error: unknown) => {
  if (error instanceof UnreadableData) return error.message;
  throw error;
};

/** Computes the current work of each flight in `flightIds`, in the same order. */
export async function readFlightWork(redis: Redis, flightIds: readonly string[]): Promise<FlightWorkContent[]> {
  const flights = await pipelined(
    redis,
    flightIds,
    (pipeline, id) => pipeline.hmget(flightKey(id), "arrival_time", "bags"),
  );
  const unreadable = new Map<number, UnreadableFlight>();
  const manifests = flights.map((reply, index) => {
    const [arrival, bags] = reply as [string | null, string | null];
    if (arrival === null) return null;
    const id = flightIds[index]!;
    try {
      if (!Number.isFinite(Number(arrival))) throw new UnreadableData(flightKey(id), "holds no arrival time");
      return { arrival: Number(arrival), bags: parseIdList(bags ?? "[]", flightKey(id)) };
    } catch (error) {
      unreadable.set(index, { id, unreadable: reasonOf(error), digest: rawDigest([arrival, bags]) });
      return null;
    }
  });

  const bagIds = [...new Set(manifests.flatMap((manifest) => manifest?.bags ?? []))];
  const itineraryReplies = await readHashField(redis, bagIds.map(bagKey), "flights");
  const itineraries = new Map<string, string[] | null>();
  const unreadableBags = new Map<string, { reason: string; raw: string }>();
  bagIds.forEach((id, index) => {
    const reply = itineraryReplies[index] ?? null;
    try {
      itineraries.set(id, reply === null ? null : parseIdList(reply, bagKey(id)));
    } catch (error) {
      unreadableBags.set(id, { reason: reasonOf(error), raw: reply ?? "" });
    }
  });
  if (unreadableBags.size > 0) {
    manifests.forEach((manifest, index) => {
      const bad = manifest?.bags.filter((bag) => unreadableBags.has(bag)) ?? [];
      if (bad.length === 0) return;
      const id = flightIds[index]!;
      const reasons = bad.map((bag) => unreadableBags.get(bag)!);
      unreadable.set(index, {
        id,
        unreadable: reasons.map((entry) => entry.reason).join("; "),
        digest: rawDigest(reasons.map((entry) => entry.raw)),
      });
      manifests[index] = null;
    });
  }

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
    if (!manifest) return unreadable.get(index) ?? null;
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

/** Keys per read_hash_fields.lua call: a script blocks Redis, so each call stays well under a millisecond. */
const KEYS_PER_READ = 500;

/**
 * `field` of each hash in `keys`, in the same order (null when missing). The calls of one read are
 * sent together (ioredis pipelines them on the connection); the script is loaded on first use (NOSCRIPT).
 */
async function readHashField(redis: Redis, keys: readonly string[], field: string): Promise<(string | null)[]> {
  const script = scriptsOf(redis).read_hash_fields;
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
