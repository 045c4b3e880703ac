/** Shared rules for validating messages from Kafka. */

import { InvalidMessage } from "../infra/errors.ts";

export { InvalidMessage };

/** The limits a message must respect (from configuration). */
export interface MessageLimits {
  readonly maxMessageBytes: number;
  readonly maxBagsPerFlight: number;
  readonly maxItineraryFlights: number;
  readonly maxFutureSeconds: number;
}

/** 1 to 128 letters, digits, `_`, `-` and `.`: no `:`, braces or spaces that could forge Redis keys. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** Earliest timestamp accepted: 2001-09-09 (1e9 s), which also rejects milliseconds-as-seconds mistakes backwards. */
export const MIN_TIMESTAMP = 1_000_000_000;

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decodes a Kafka value as a JSON object, or throws InvalidMessage. */
export function parseJsonObject(value: Uint8Array | null, limits: MessageLimits): Record<string, unknown> {
  if (value === null || value.byteLength === 0) throw new InvalidMessage("empty value");
  if (value.byteLength > limits.maxMessageBytes) {
    throw new InvalidMessage(
      `message of ${value.byteLength} bytes exceeds MAX_MESSAGE_BYTES (${limits.maxMessageBytes})`,
    );
  }
  let text: string;
  try {
    text = decoder.decode(value);
  } catch {
    throw new InvalidMessage("value is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidMessage("value is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidMessage("value is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Checks an id field. */
export function requireId(value: unknown, field: string): string {
  if (typeof value !== "string") throw new InvalidMessage(`'${field}' must be a string id`);
  if (!ID_PATTERN.test(value)) {
    throw new InvalidMessage(`'${field}' must be 1-128 letters, digits, '_', '-' or '.'`);
  }
  return value;
}

/** Lists up to this long are checked for repeats pairwise: cheaper than a Set for an itinerary's few flights. */
const PAIRWISE_REPEAT_CHECK_MAX = 8;

/**
 * What requireIdList does with an id listed more than once:
 * - `drop-repeats` (a set, such as a manifest's bags): later occurrences are dropped, the first kept;
 * - `drop-adjacent-repeats` (a sequence, such as an itinerary): an id right after itself is dropped; an id
 *   repeated after other ids makes what follows it ambiguous, so the list is rejected.
 */
export type RepeatRule = "drop-repeats" | "drop-adjacent-repeats";

/** Told which ids requireIdList dropped as repeats, in list order; called only when it dropped some. */
export type OnDroppedIds = (field: string, dropped: readonly string[]) => void;

/** Checks a list of at most `max` ids (as sent, repeats included) and applies `rule` to its repeats. */
export function requireIdList(
  value: unknown,
  field: string,
  max: number,
  limitName: string,
  rule: RepeatRule,
  onDropped?: OnDroppedIds,
): string[] {
  if (!Array.isArray(value)) throw new InvalidMessage(`'${field}' must be an array of ids`);
  if (value.length > max) {
    throw new InvalidMessage(`'${field}' has ${value.length} entries, more than ${limitName} (${max})`);
  }
  // Runs for every bag of every message: no per-item allocation on the valid path.
  for (let index = 0; index < value.length; index++) {
    const item = value[index];
    if (typeof item !== "string" || !ID_PATTERN.test(item)) requireId(item, `${field}[${index}]`);
  }
  const ids = value as string[];
  if (firstRepeat(ids) === -1) return ids;
  // Rare: only a message with repeats pays for the copies below.
  const dropped: string[] = [];
  const kept = rule === "drop-repeats" ? withoutRepeats(ids, dropped) : withoutAdjacentRepeats(ids, dropped);
  if (rule === "drop-adjacent-repeats") {
    const repeat = firstRepeat(kept);
    if (repeat !== -1) {
      const id = kept[repeat]!;
      throw new InvalidMessage(`'${field}' lists ${id} twice, not in a row: what follows ${id} is ambiguous`);
    }
  }
  onDropped?.(field, dropped);
  return kept;
}

/** The index of the first id that an earlier one repeats, or -1. */
function firstRepeat(ids: readonly string[]): number {
  if (ids.length <= PAIRWISE_REPEAT_CHECK_MAX) {
    for (let i = 1; i < ids.length; i++) {
      for (let j = 0; j < i; j++) if (ids[j] === ids[i]) return i;
    }
    return -1;
  }
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i++) {
    if (seen.has(ids[i]!)) return i;
    seen.add(ids[i]!);
  }
  return -1;
}

/** `ids` with each id's first occurrence only; the others are pushed on `dropped`. */
function withoutRepeats(ids: readonly string[], dropped: string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) dropped.push(id);
    else {
      seen.add(id);
      kept.push(id);
    }
  }
  return kept;
}

/** `ids` without the ids equal to the one before them, which are pushed on `dropped`. */
function withoutAdjacentRepeats(ids: readonly string[], dropped: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && ids[i] === ids[i - 1]) dropped.push(ids[i]!);
    else kept.push(ids[i]!);
  }
  return kept;
}

/** Checks a Unix timestamp in seconds between MIN_TIMESTAMP and now + maxFutureSeconds. */
export function requireTimestamp(value: unknown, field: string, nowSeconds: number, maxFutureSeconds: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidMessage(`'${field}' must be a number of Unix seconds`);
  }
  if (value < MIN_TIMESTAMP) throw new InvalidMessage(`'${field}' ${value} is before 2001 (Unix seconds expected)`);
  if (value > nowSeconds + maxFutureSeconds) {
    throw new InvalidMessage(`'${field}' ${value} is more than MAX_FUTURE_SECONDS (${maxFutureSeconds}) ahead`);
  }
  return value;
}
