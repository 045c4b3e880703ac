/**
 * Reads what the scan needs from Redis in three rounds (flights, their bags' itineraries, the next
 * flights' departures) and computes each flight's work with nextDeparture(). The flights are read
 * with pipelined HMGETs; the itineraries and departures with lua/read_hash_fields.lua, a few hundred
 * keys a call, because one ioredis command per bag cost the scanner about 4 µs of CPU a bag, most of
 * a scan. Reads are not atomic across rounds: a change landing in between is corrected by the next scan's digest.
 * When the scanner follows changes, the same calls record the bags read as on a due flight's manifest
 * (work:due_bags:<hour>) and the next flights read with the due flights connecting to them (work:due_next:<hour>),
 * so that the upserts mark those flights when these change (see change_follower.ts).
 * On a Redis Cluster, each read goes to the master serving its keys, one pipeline or script call per master (and per
 * few hundred keys), and the records are kept per slot (lib/infra/node_calls.ts).
 * Stored data that does not parse (written by something else than our upserts) makes only its own flights
 * unreadable: they are reported with the reason, and every other flight is computed as usual.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisClient } from "../infra/redis.ts";
import { readPerNode } from "../infra/node_calls.ts";
import { nextDeparture, type WorkContent } from "../domain/work.ts";
import {
  arrivalHour,
  bagKey,
  dueBagsKey,
  dueKeysExpiry,
  dueNextFlightsKey,
  flightBagExceptionsKey,
  flightKey,
} from "../infra/keys.ts";
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

/**
 * What the change path records as the scan reads (lua/read_due_itineraries.lua, lua/read_due_departures.lua): the
 * bags of each flight's manifest and the flights they connect to, kept an hour past the grace period.
 */
export interface RecordDue {
  readonly graceSeconds: number;
}

/** Computes the current work of each flight in `flightIds`, in the same order. */
export async function readFlightWork(
  redis: RedisClient,
  flightIds: readonly string[],
  record?: RecordDue,
): Promise<FlightWorkContent[]> {
  const [flights, exceptionReplies] = await Promise.all([
    readPerNode(
      redis,
      flightIds,
      flightKey,
      ({ node, items }) =>
        pipelined(node, items, (pipeline, id) => pipeline.hmget(flightKey(id), "arrival_time", "bags")),
    ),
    readPerNode(
      redis,
      flightIds,
      flightBagExceptionsKey,
      ({ node, items }) => pipelined(node, items, (pipeline, id) => pipeline.hgetall(flightBagExceptionsKey(id))),
    ),
  ]);
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

  const bagReads = new KeyReads("flights", bagKey, record);
  manifests.forEach((manifest, index) => {
    for (const bag of manifest?.bags ?? []) bagReads.add(bag, flightIds[index]!, manifest!.arrival);
  });
  const itineraries = new Map<string, string[] | null>();
  const unreadableBags = new Map<string, { reason: string; raw: string }>();
  await bagReads.read(redis, (id, reply) => {
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

  const nextReads = new KeyReads("departure_time", flightKey, record);
  flightIds.forEach((flightId, index) => {
    const manifest = manifests[index];
    for (const bag of manifest?.bags ?? []) {
      const itinerary = itineraries.get(bag);
      const position = itinerary?.indexOf(flightId) ?? -1;
      const next = position >= 0 ? itinerary?.[position + 1] : undefined;
      if (next !== undefined) nextReads.add(next, flightId, manifest!.arrival);
    }
  });
  const departures = new Map<string, number>();
  await nextReads.read(redis, (id, reply) => {
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
    const exceptions = exceptionsOf(manifest.bags, exceptionReplies[index] as Record<string, string>);
    return {
      id: flightId,
      arrival_time: manifest.arrival,
      bags,
      next_flights: nextFlights,
      ...(exceptions === undefined ? {} : { exceptions }),
    };
  });
}

/** The exceptions of the manifest's bags that have some (`stored`: bag -> "RUSH,PRIO"), or undefined when none has. */
function exceptionsOf(
  manifest: readonly string[],
  stored: Record<string, string>,
): Record<string, string[]> | undefined {
  let exceptions: Record<string, string[]> | undefined;
  for (const bag of manifest) {
    const codes = stored[bag];
    if (codes === undefined || codes === "") continue;
    (exceptions ??= {})[bag] = codes.split(",");
  }
  return exceptions;
}

/** Keys per read script call: a script blocks Redis, so each call stays well under a millisecond. */
const KEYS_PER_READ = 500;

/**
 * One round of reads: `field` (flights or departure_time) of the hash of each id added (`keyOf(id)`), each once.
 * When the due flights are recorded, the ids are grouped by the arrival hour of the flights that read them and read
 * by lua/read_due_itineraries.lua or lua/read_due_departures.lua (with the ids of those flights); else by
 * lua/read_hash_fields.lua.
 */
class KeyReads {
  private readonly ids = new Set<string>();
  /** Per arrival hour: the bags read for its flights (itineraries). */
  private readonly bagsByHour = new Map<number, Set<string>>();
  /** Per arrival hour: per next flight, the ids of the flights of that hour reading it, comma-separated. */
  private readonly flightsByHour = new Map<number, Map<string, string>>();

  constructor(
    private readonly field: "flights" | "departure_time",
    private readonly keyOf: (id: string) => string,
    private readonly record: RecordDue | undefined,
  ) {}

  /** Reads the hash of `id` for the work of `flightId`, arriving at `arrival`. */
  add(id: string, flightId: string, arrival: number): void {
    if (!this.record) {
      this.ids.add(id);
    } else if (this.field === "flights") {
      const hour = arrivalHour(arrival);
      let ids = this.bagsByHour.get(hour);
      if (!ids) this.bagsByHour.set(hour, ids = new Set());
      ids.add(id);
    } else {
      const hour = arrivalHour(arrival);
      let ids = this.flightsByHour.get(hour);
      if (!ids) this.flightsByHour.set(hour, ids = new Map());
      const listed = ids.get(id);
      // A flight adds its next flights together, so one it added already ends the list.
      if (listed === undefined) ids.set(id, flightId);
      else if (listed !== flightId && !listed.endsWith(`,${flightId}`)) ids.set(id, `${listed},${flightId}`);
    }
  }

  /**
   * Calls `onValue` with the field of every id added (null when missing). The calls are sent together (ioredis
   * pipelines them on each node's connection); the scripts are loaded on first use (NOSCRIPT).
   */
  async read(redis: RedisClient, onValue: (id: string, value: string | null) => void): Promise<void> {
    const reads: Promise<void>[] = [];
    const deliver = (ids: readonly string[]) => (values: readonly (string | null)[]) =>
      ids.forEach((id, index) => onValue(id, values[index] ?? null));
    const plain = [...this.ids];
    reads.push(
      readPerNode(
        redis,
        plain,
        this.keyOf,
        ({ node, items }) =>
          inChunks(items, (chunk) => scriptsOf(node).read_hash_fields.run([], [this.field, ...chunk.map(this.keyOf)])),
      )
        .then(deliver(plain)),
    );
    const grace = this.record?.graceSeconds ?? 0;
    for (const [hour, bags] of this.bagsByHour) {
      const ids = [...bags];
      const read = readPerNode(
        redis,
        ids,
        this.keyOf,
        ({ node, items, scopes }) =>
          inChunks(items, (chunk, start) =>
            scriptsOf(node).read_due_itineraries.run([], [
              dueKeysExpiry(hour, grace),
              dueBagsKey(hour),
              scopeList(scopes.slice(start, start + chunk.length)),
              ...chunk.map(this.keyOf),
            ])),
      );
      reads.push(read.then(deliver(ids)));
    }
    for (const [hour, flights] of this.flightsByHour) {
      const entries = [...flights];
      const read = readPerNode(
        redis,
        entries,
        ([id]) => this.keyOf(id),
        ({ node, items, scopes }) =>
          inChunks(items, (chunk, start) =>
            scriptsOf(node).read_due_departures.run([], [
              dueKeysExpiry(hour, grace),
              dueNextFlightsKey(hour),
              scopeList(scopes.slice(start, start + chunk.length)),
              chunk.length,
              ...chunk.map(([id]) => this.keyOf(id)),
              ...chunk.map(([, connecting]) => connecting),
            ])),
      );
      reads.push(read.then(deliver(entries.map(([id]) => id))));
    }
    await Promise.all(reads);
  }
}

/** The scopes argument of the due reads: "" on one node (every scope ""), else the scopes comma-separated. */
const scopeList = (scopes: readonly string[]) => scopes.every((scope) => scope === "") ? "" : scopes.join(",");

/** Calls `read` on chunks of KEYS_PER_READ items together and joins the answers in the items' order. */
async function inChunks<T>(
  items: readonly T[],
  read: (chunk: readonly T[], start: number) => Promise<unknown>,
): Promise<(string | null)[]> {
  const calls: Promise<unknown>[] = [];
  for (let start = 0; start < items.length; start += KEYS_PER_READ) {
    calls.push(read(items.slice(start, start + KEYS_PER_READ), start));
  }
  return (await Promise.all(calls)).flatMap((replies) => replies as (string | null)[]);
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
