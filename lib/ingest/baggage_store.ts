/**
 * Stores the bag operations of baggage messages in Redis through lua/apply_baggage_messages.lua: one call per
 * chunk, after one read of the chunk's bags, so that the script's keys include every flight of their stored
 * itineraries (a bag changed in between makes the script answer STALE, and the chunk is read again).
 */
import type { Redis } from "ioredis";
import { UnexpectedScriptReply } from "../infra/errors.ts";
import {
  appliedOffsetsKey,
  BAG_COUNT,
  bagKey,
  FLIGHT_ARRIVALS,
  flightBagExceptionsKey,
  flightKey,
  refusedOffsetsKey,
  WORK_MARKS,
} from "../infra/keys.ts";
import { loadScript, SCRIPT_CODES } from "../infra/scripts.ts";
import type { PartitionStore, StoreRequest, StoreResult } from "../consume/partition_store.ts";
import { markInputs, type MarkWindow } from "./mark_window.ts";
import type { BaggageRecord, BagOperation } from "./baggage_records.ts";
import { flightExpiry } from "./flight_expiry.ts";

/** Reads before giving up on a chunk whose bags keep changing under it (another writer of the same bags). */
const STALE_RETRIES = 20;

const ACTION_CODES = { add: "A", change: "C", delete: "D", events: "E" } as const;

/** The positions (1-based) of distinct values, in first-seen order. */
class Positions {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  of(value: string): number {
    let position = this.index.get(value);
    if (position === undefined) {
      this.values.push(value);
      position = this.values.length;
      this.index.set(value, position);
    }
    return position;
  }
}

/** The chunk's operations with their offsets, in offset order; a message of bag events is one, counted only. */
function operationsOf(request: StoreRequest<BaggageRecord>) {
  const operations: { offset: string; operation: BagOperation | "events" }[] = [];
  for (const { offset, record } of request.records) {
    if (record.kind === "events") operations.push({ offset, operation: "events" });
    else for (const operation of record.operations) operations.push({ offset, operation });
  }
  return operations;
}

/**
 * Returns the store of `topic`'s baggage messages, keeping in mind `retentionSeconds` (DATA_RETENTION_SECONDS) for
 * when a flight known only from them expires.
 */
export async function createBaggageStore(
  redis: Redis,
  topic: string,
  window: MarkWindow,
  retentionSeconds: number,
): Promise<PartitionStore<BaggageRecord>> {
  const script = await loadScript(redis, "apply_baggage_messages");
  const offsetsKey = appliedOffsetsKey(topic);

  const attempt = async (request: StoreRequest<BaggageRecord>): Promise<unknown> => {
    const operations = operationsOf(request);
    const bags = new Positions();
    for (const { operation } of operations) if (operation !== "events") bags.of(operation.tag);
    const stored = bags.values.length === 0
      ? []
      : await redis.pipeline(bags.values.map((tag) => ["hget", bagKey(tag), "flights"])).exec() ?? [];
    const flights = new Positions();
    const bagArgs: string[] = [];
    bags.values.forEach((_, i) => {
      const [error, reply] = stored[i] ?? [null, null];
      if (error) throw error;
      const read = (reply as string | null) ?? "";
      const ids = read === "" ? [] : itineraryIds(read);
      bagArgs.push(read, ids.map((id) => flights.of(id)).join(","));
    });
    const operationArgs: string[] = [];
    for (const { offset, operation } of operations) {
      if (operation === "events") {
        operationArgs.push(offset, ACTION_CODES.events, "0", "", "", "");
        continue;
      }
      const positions = operation.flights.map((id) => flights.of(id)).join(",");
      operationArgs.push(
        offset,
        ACTION_CODES[operation.action],
        String(bags.of(operation.tag)),
        positions,
        JSON.stringify(operation.flights),
        operation.exceptions.join(","),
      );
    }
    const flightArgs = flights.values.flatMap((id) => [id, String(flightExpiry(id, retentionSeconds))]);
    const marks = markInputs(window);
    const keys = [
      BAG_COUNT,
      offsetsKey,
      FLIGHT_ARRIVALS,
      WORK_MARKS,
      refusedOffsetsKey(topic, request.partition),
      ...bags.values.map(bagKey),
      ...flights.values.map(flightKey),
      ...flights.values.map(flightBagExceptionsKey),
    ];
    const args = [
      request.partition,
      String(request.requiredOffset),
      request.lastOffset,
      marks.from,
      marks.until,
      marks.nowMs,
      bags.values.length,
      flights.values.length,
      ...bagArgs,
      ...flightArgs,
      ...operationArgs,
    ];
    return await script.run(keys, args);
  };

  const store = async (request: StoreRequest<BaggageRecord>): Promise<StoreResult> => {
    for (let attempts = 1;; attempts++) {
      const reply = await attempt(request) as (number | string)[];
      const [status, appliedOrRecorded, inserted] = reply as [number, number, number];
      if (status === SCRIPT_CODES.BEHIND) return { status: "behind", recorded: BigInt(appliedOrRecorded) };
      if (status === SCRIPT_CODES.APPLIED) {
        const refused: { offset: string; reason: string }[] = [];
        for (let i = 4; i + 1 < reply.length; i += 2) {
          const offset = String(reply[i]);
          refused.push({ offset, reason: withLines(String(reply[i + 1]), request, offset) });
        }
        return { status: "applied", applied: appliedOrRecorded, inserted, refused };
      }
      if (status !== SCRIPT_CODES.STALE || attempts >= STALE_RETRIES) {
        throw new UnexpectedScriptReply("apply_baggage_messages", reply);
      }
    }
  };
  const recordedOffset = async (partition: number) => {
    const reply = await redis.hget(offsetsKey, String(partition));
    return reply === null ? -1n : BigInt(reply);
  };
  return { store, recordedOffset };
}

/**
 * The script's reason (`CHG for unknown tag 0125728359`, several joined by `; `) with the line of each tag's `.N` in
 * the message at `offset`.
 */
function withLines(reason: string, request: StoreRequest<BaggageRecord>, offset: string): string {
  const record = request.records.find((parsed) => parsed.offset === offset)?.record;
  if (record?.kind !== "operations") return reason;
  return reason.split("; ").map((part) => {
    const tag = part.slice(part.lastIndexOf(" ") + 1);
    const line = record.operations.find((operation) => operation.tag === tag)?.line;
    return line === undefined ? part : `line ${line}: ${part}`;
  }).join("; ");
}

/** The flight ids of a stored itinerary (a JSON array of validated ids). */
function itineraryIds(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === "string") : [];
}
