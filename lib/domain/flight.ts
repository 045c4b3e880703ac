/** The `flights` topic's message. */
import {
  InvalidMessage,
  type MessageLimits,
  type OnDroppedIds,
  parseJsonObject,
  requireId,
  requireIdList,
  requireTimestamp,
} from "./validation.ts";

/** A flight schedule with its bag manifest; a later message for the same id replaces it. */
export interface Flight {
  readonly id: string;
  readonly departure_time: number;
  readonly arrival_time: number;
  readonly bags: readonly string[];
}

/**
 * A `flights` message: a flight, whose manifest is optional. A message without `bags` (a schedule feed, which knows
 * times only) leaves the stored manifest as it is: the one baggage messages built.
 */
export type FlightMessage = Omit<Flight, "bags"> & { readonly bags?: readonly string[] };

/**
 * Parses and validates a `flights` message value, or throws InvalidMessage with the reason. A bag the
 * manifest lists twice is kept once (a manifest is a set) and reported to `onDropped`.
 */
export function parseFlight(
  value: Uint8Array | null,
  limits: MessageLimits,
  nowSeconds: number,
  onDropped?: OnDroppedIds,
): FlightMessage {
  const object = parseJsonObject(value, limits);
  const id = requireId(object.id, "id");
  const departure = requireTimestamp(object.departure_time, "departure_time", nowSeconds, limits.maxFutureSeconds);
  const arrival = requireTimestamp(object.arrival_time, "arrival_time", nowSeconds, limits.maxFutureSeconds);
  if (arrival <= departure) throw new InvalidMessage("'arrival_time' must be after 'departure_time'");
  if (object.bags === undefined) return { id, departure_time: departure, arrival_time: arrival };
  // Last check: drops are reported only for a message that is then applied.
  const bags = requireIdList(
    object.bags,
    "bags",
    limits.maxBagsPerFlight,
    "MAX_BAGS_PER_FLIGHT",
    "drop-repeats",
    onDropped,
  );
  return { id, departure_time: departure, arrival_time: arrival, bags };
}
