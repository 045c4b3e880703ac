/** The `bags` topic's message. */
import { type MessageLimits, type OnDroppedIds, parseJsonObject, requireId, requireIdList } from "./validation.ts";

/** A bag's itinerary: the flights it takes, in order (possibly none). */
export interface Bag {
  readonly id: string;
  readonly flights: readonly string[];
}

/**
 * Parses and validates a `bags` message value, or throws InvalidMessage with the reason. A flight listed
 * twice in a row is kept once and reported to `onDropped`; listed twice apart ([A, B, A]) it makes the
 * flight after it ambiguous, and the message is rejected.
 */
export function parseBag(value: Uint8Array | null, limits: MessageLimits, onDropped?: OnDroppedIds): Bag {
  const object = parseJsonObject(value, limits);
  const id = requireId(object.id, "id");
  // Last check: drops are reported only for a message that is then applied.
  const flights = requireIdList(
    object.flights,
    "flights",
    limits.maxItineraryFlights,
    "MAX_ITINERARY_FLIGHTS",
    "drop-adjacent-repeats",
    onDropped,
  );
  return { id, flights };
}
