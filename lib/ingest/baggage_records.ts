/**
 * What the baggage-messages consumer does with each message: a BSM or BTM becomes one bag operation per tag (its
 * itinerary, added, changed or deleted); a BPM or BUM becomes one bag event per tag, kept for the bag's history.
 */
import type { MessageLimits } from "../domain/validation.ts";
import {
  type BaggageMessage,
  BaggageMessageError,
  type FlightElement,
  parseBaggageMessage,
} from "../baggage_messages/rp1745.ts";

/** One bag's itinerary as a BSM or BTM gives it. */
export interface BagOperation {
  readonly action: "add" | "change" | "delete";
  /** The 10-digit tag number: the bag's id. */
  readonly tag: string;
  /** The itinerary, flight ids in order (empty for a delete). */
  readonly flights: readonly string[];
  /** Exception codes (`.E`): RUSH, PRIO, CREW… */
  readonly exceptions: readonly string[];
  /** The line of its `.N` in the message, for a refusal's reason. */
  readonly line: number;
}

/** What a BPM or BUM says happened to a bag. */
export interface BagEvent {
  readonly type: "BPM" | "BUM";
  readonly tag: string;
  /** The flight it concerns (`.F` of a BPM, `.I` or `.F` of a BUM), when the message names one. */
  readonly flight: string | null;
  /** What happened: `processed`, `unloaded`, or the irregularity (`.B`), e.g. `OFF`. */
  readonly what: string;
  /** Where: the processing location of `.J` (a sorter, a reader), or the receiving airport of `.V`. */
  readonly where: string | null;
  /** When, as ISO 8601 (UTC), from `.J`'s date and time; null when the message gives none. */
  readonly at: string | null;
}

/** A parsed baggage message, as the consumer applies it. */
export type BaggageRecord =
  | { readonly kind: "operations"; readonly type: "BSM" | "BTM"; readonly operations: readonly BagOperation[] }
  | { readonly kind: "events"; readonly type: "BPM" | "BUM"; readonly events: readonly BagEvent[] };

/**
 * Reads a Kafka value of the baggage-messages topic as what the consumer applies, or throws BaggageMessageError (an
 * InvalidMessage) naming the line.
 */
export function baggageRecord(value: Uint8Array | null, messageSeconds: number, limits: MessageLimits): BaggageRecord {
  if (value === null || value.byteLength === 0) throw new BaggageMessageError(1, "empty message");
  const message = parseBaggageMessage(value, { maxBytes: limits.maxMessageBytes, messageSeconds });
  if (message.type === "BSM" || message.type === "BTM") {
    const elements = itineraryOf(message);
    const flights = elements.map((flight) => flight.id);
    if (flights.length > limits.maxItineraryFlights) {
      throw new BaggageMessageError(
        elements.at(-1)!.line,
        `an itinerary of ${flights.length} flights exceeds MAX_ITINERARY_FLIGHTS (${limits.maxItineraryFlights})`,
      );
    }
    const deleting = message.action === "delete";
    const operations = message.tags.map((tag, i): BagOperation => ({
      action: message.action,
      tag,
      line: message.tagLines[i]!,
      flights: deleting ? [] : flights,
      exceptions: deleting ? [] : message.exceptions,
    }));
    return { kind: "operations", type: message.type, operations };
  }
  const flight = message.outbound ?? message.inbound;
  const what = message.irregularities.length > 0
    ? message.irregularities.join(",")
    : message.type === "BPM"
    ? "processed"
    : "unloaded";
  const events = message.tags.map((tag): BagEvent => ({
    type: message.type as "BPM" | "BUM",
    tag,
    flight: flight?.id ?? null,
    what,
    where: message.processing?.location ?? message.version?.airport ?? null,
    at: message.processing?.at ?? null,
  }));
  return { kind: "events", type: message.type, events };
}

/**
 * The itinerary a BSM or BTM gives: its inbound, outbound and onward flights, those it has, in order. A flight
 * repeated (the same flight as inbound and outbound) makes no sense for a bag and is an error.
 */
function itineraryOf(message: BaggageMessage): FlightElement[] {
  const elements = [message.inbound, message.outbound, ...message.onward].filter((flight) => flight !== null);
  const seen = new Set<string>();
  for (const flight of elements) {
    if (seen.has(flight.id)) {
      throw new BaggageMessageError(flight.line, `flight ${flight.id} is already in the itinerary`);
    }
    seen.add(flight.id);
  }
  return elements;
}
