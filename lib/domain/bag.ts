/** The `bags` topic's message. */
import { type MessageLimits, parseJsonObject, requireId, requireIdList } from "./validation.ts";

/** A bag's itinerary: the flights it takes, in order (possibly none). */
export interface Bag {
  readonly id: string;
  readonly flights: readonly string[];
}

/** Parses and validates a `bags` message value, or throws InvalidMessage with the reason. */
export function parseBag(value: Uint8Array | null, limits: MessageLimits): Bag {
  const object = parseJsonObject(value, limits);
  const id = requireId(object.id, "id");
  const flights = requireIdList(object.flights, "flights", limits.maxItineraryFlights, "MAX_ITINERARY_FLIGHTS");
  return { id, flights };
}
