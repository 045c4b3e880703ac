/**
 * What the baggage-messages consumer does with each message: a BSM or BTM becomes one bag operation per tag (its
 * itinerary, added, changed or deleted); a BPM or BUM becomes one bag event per tag, kept for the bag's history.
 */

/** One bag's itinerary as a BSM or BTM gives it. */
export interface BagOperation {
  readonly action: "add" | "change" | "delete";
  /** The 10-digit tag number: the bag's id. */
  readonly tag: string;
  /** The itinerary, flight ids in order (empty for a delete). */
  readonly flights: readonly string[];
  /** Exception codes (`.E`): RUSH, PRIO, CREW… */
  readonly exceptions: readonly string[];
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
