/** What happens to each bag of an arriving flight: the `arriving_flight_work` message and its codes. */
import { createHash } from "node:crypto";
import { InvalidMessage, type MessageLimits, parseJsonObject, requireId, requireIdList } from "./validation.ts";

/** Values a bag gets instead of a departure time. */
export enum BagCode {
  /** The arriving flight is the last of the bag's itinerary. */
  FinalDestination = 0,
  /** The bag's itinerary is not in Redis (yet). */
  ItineraryUnknown = -1,
  /** The bag's itinerary has no flights. */
  NoFlights = -2,
  /** The next flight of the itinerary is not in Redis (yet). */
  NextFlightUnknown = -3,
  /** The bag's itinerary does not contain the arriving flight. */
  FlightNotInItinerary = -10,
}

const OUTCOME_LABELS: Record<number, string> = {
  [BagCode.FinalDestination]: "final_destination",
  [BagCode.ItineraryUnknown]: "itinerary_unknown",
  [BagCode.NoFlights]: "no_flights",
  [BagCode.NextFlightUnknown]: "next_flight_unknown",
  [BagCode.FlightNotInItinerary]: "flight_not_in_itinerary",
};

/** The metric label of a bag's value: `departure` for a departure time, else the code's snake_case name. */
export function bagOutcome(value: number): string {
  return value > 0 ? "departure" : (OUTCOME_LABELS[value] ?? "unknown");
}

/** What the scanner knows about one bag of an arriving flight. */
export interface BagFacts {
  /** The itinerary, or null when the bag is not in Redis. */
  readonly itinerary: readonly string[] | null;
  /** Departure time of each flight that is in Redis, by id (only the next flight matters). */
  readonly departures: ReadonlyMap<string, number>;
}

/** The bag's next departure time or code, and the next flight's id when there is one. */
export function nextDeparture(flightId: string, facts: BagFacts): { value: number; nextFlight: string | null } {
  const { itinerary } = facts;
  if (itinerary === null) return { value: BagCode.ItineraryUnknown, nextFlight: null };
  if (itinerary.length === 0) return { value: BagCode.NoFlights, nextFlight: null };
  const position = itinerary.indexOf(flightId);
  if (position === -1) return { value: BagCode.FlightNotInItinerary, nextFlight: null };
  const nextFlight = itinerary[position + 1];
  if (nextFlight === undefined) return { value: BagCode.FinalDestination, nextFlight: null };
  const departure = facts.departures.get(nextFlight);
  return { value: departure ?? BagCode.NextFlightUnknown, nextFlight };
}

/** The message published to `arriving_flight_work`, keyed by flight id. */
export interface FlightWork {
  readonly id: string;
  readonly arrival_time: number;
  readonly bags: Record<string, number>;
  readonly next_flights: Record<string, string | null>;
  readonly revision: number;
  readonly scanned_at: number;
  /**
   * The bags of the flight's last published revision that this one no longer lists (`[]` when none), in
   * that revision's order. Absent from messages published before the field existed: parsed as `[]`.
   */
  readonly removed_bags: readonly string[];
  /**
   * The exceptions (`.E` of a baggage message: RUSH, PRIO, CREW…) of the bags that have some, by bag; absent when
   * none has.
   */
  readonly exceptions?: Readonly<Record<string, readonly string[]>>;
}

/** The content of a flight's work, without revision, scan time or what it removed. */
export type WorkContent = Omit<FlightWork, "revision" | "scanned_at" | "removed_bags">;

/**
 * The largest work message a valid flight can produce, in bytes: per bag its id twice (in `bags` and
 * `next_flights`), a next flight id of 128 characters, a departure time of up to 24 characters and the JSON
 * punctuation; the bags' ids together are bounded by MAX_MESSAGE_BYTES of the flight message that listed them.
 * `removed_bags` adds the ids of the previous manifest (bounded the same way) with their quotes and comma.
 * The work topic is sized for it, so that every valid flight is publishable as one message.
 */
export function maxWorkMessageBytes(limits: Pick<MessageLimits, "maxBagsPerFlight" | "maxMessageBytes">): number {
  const perBagBeyondIds = 128 + 24 + 18;
  const perRemovedBagBeyondId = 3;
  const idBytes = Math.min(limits.maxBagsPerFlight * 128, limits.maxMessageBytes);
  return 3 * idBytes + limits.maxBagsPerFlight * (perBagBeyondIds + perRemovedBagBeyondId) + 1024;
}

/** A digest of the content: equal digests mean nothing changed for the readers. */
export function workDigest(content: WorkContent): string {
  const bagIds = Object.keys(content.bags).sort();
  const parts: unknown[] = [
    content.arrival_time,
    bagIds.map((bag) => [bag, content.bags[bag], content.next_flights[bag] ?? null]),
  ];
  // Only when there are some, so that the digests of work without exceptions stay what they were.
  if (content.exceptions !== undefined) {
    parts.push(Object.keys(content.exceptions).sort().map((bag) => [bag, content.exceptions![bag]]));
  }
  const canonical = JSON.stringify(parts);
  return createHash("sha1").update(canonical).digest("base64");
}

/**
 * Parses and validates an `arriving_flight_work` message value (as the bridge reads it). Work messages may
 * exceed MAX_MESSAGE_BYTES (each bag's id appears in several fields): they are bounded by maxWorkMessageBytes().
 */
export function parseFlightWork(value: Uint8Array | null, limits: MessageLimits): FlightWork {
  const maxBytes = maxWorkMessageBytes(limits);
  if (value !== null && value.byteLength > maxBytes) {
    throw new InvalidMessage(`work message of ${value.byteLength} bytes exceeds the largest valid one (${maxBytes})`);
  }
  const object = parseJsonObject(value, { ...limits, maxMessageBytes: maxBytes });
  const id = requireId(object.id, "id");
  const revision = object.revision;
  if (typeof revision !== "number" || !Number.isInteger(revision) || revision < 1) {
    throw new InvalidMessage("'revision' must be a positive integer");
  }
  const arrival = requireNumber(object.arrival_time, "arrival_time");
  const scannedAt = requireNumber(object.scanned_at, "scanned_at");
  const bags = requireObject(object.bags, "bags");
  const nextFlights = requireObject(object.next_flights ?? {}, "next_flights");
  for (const [bag, departure] of Object.entries(bags)) {
    requireId(bag, "bags key");
    requireNumber(departure, `bags.${bag}`);
    const next = nextFlights[bag];
    if (next !== undefined && next !== null) requireId(next, `next_flights.${bag}`);
  }
  // A set: a repeat is dropped, so the bridge appends one removal per (flight, bag, revision).
  const removed = object.removed_bags === undefined ? [] : requireIdList(
    object.removed_bags,
    "removed_bags",
    limits.maxBagsPerFlight,
    "MAX_BAGS_PER_FLIGHT",
    "drop-repeats",
  );
  for (const bag of removed) {
    if (Object.hasOwn(bags, bag)) throw new InvalidMessage(`'removed_bags' lists ${bag}, which 'bags' lists too`);
  }
  const exceptions = object.exceptions === undefined ? undefined : requireExceptions(object.exceptions, bags);
  return {
    id,
    arrival_time: arrival,
    bags: bags as Record<string, number>,
    next_flights: nextFlights as Record<string, string | null>,
    revision,
    scanned_at: scannedAt,
    removed_bags: removed,
    ...(exceptions === undefined ? {} : { exceptions }),
  };
}

const EXCEPTION_CODE = /^[A-Z0-9]{2,8}$/;

/** `exceptions`: for bags of `bags`, a non-empty list of codes each. */
function requireExceptions(value: unknown, bags: Record<string, unknown>): Record<string, string[]> {
  const exceptions = requireObject(value, "exceptions");
  for (const [bag, codes] of Object.entries(exceptions)) {
    if (!Object.hasOwn(bags, bag)) throw new InvalidMessage(`'exceptions' lists ${bag}, which 'bags' does not`);
    if (
      !Array.isArray(codes) || codes.length === 0 ||
      codes.some((code) => typeof code !== "string" || !EXCEPTION_CODE.test(code))
    ) {
      throw new InvalidMessage(`'exceptions.${bag}' must be a list of 2-8 capital letters or digits`);
    }
  }
  return exceptions as Record<string, string[]>;
}

function requireNumber(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidMessage(`'${field}' must be a number`);
  return value;
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidMessage(`'${field}' must be an object`);
  }
  return value as Record<string, unknown>;
}
