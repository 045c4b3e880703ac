/**
 * The final state of a run, in a form two runs can be compared by: every Redis key with its canonical
 * value (run-specific names replaced by their role), the stream's work items as (flight_id, bag_id,
 * revision, departure_time) with how many entries carry each, and the archive's rows with their counts.
 */
import { BAG_SWEEP_CURSOR, BAGS_UNRESOLVED, DUE_RECORDS_PREFIX, WORK_MARKS, WORK_STATE } from "../../lib/infra/keys.ts";
import type { Redis } from "../../lib/infra/redis.ts";

export interface FinalState {
  /** Key (normalized) -> canonical value: flight and bag hashes, counters, sorted sets, offsets, work states. */
  readonly keys: ReadonlyMap<string, string>;
  /** Work item -> number of stream entries with it. */
  readonly items: ReadonlyMap<string, number>;
  readonly streamEntries: number;
  /** Messages in the work topic (a scanner killed between send and confirm publishes some twice). */
  readonly workMessages: number;
  /** The archive's rows (as tools/chaos/archive_state.ts writes them) -> how many rows carry each. */
  readonly archive: ReadonlyMap<string, number>;
}

/** Differences between a run's state and the fault-free run's. */
export interface Comparison {
  /** Keys, work items or archive rows of the fault-free run that are missing. */
  readonly lost: number;
  /** Stream entries beyond the first for one work item, archive rows beyond the fault-free run's count. */
  readonly duplicated: number;
  /** Keys with another value, and keys or work items the fault-free run does not have. */
  readonly wrong: number;
  /** A few examples of each. */
  readonly examples: readonly string[];
}

const PAGE = 1000;

/** Reads every key of the run's Redis (`names` are the run's topics and stream), alongside its archive's rows. */
export async function readFinalState(
  redis: Redis,
  names: { flights: string; bags: string; stream: string },
  workMessages: number,
  archive: ReadonlyMap<string, number>,
): Promise<FinalState> {
  const rename = new Map([
    [`offsets:${names.flights}`, "offsets:<flights topic>"],
    [`offsets:${names.bags}`, "offsets:<bags topic>"],
  ]);
  // The bridge's offsets count the work topic's messages, which differ when a work message was sent twice; where
  // the bag sweep's SCAN cursor stands, and when it first saw a bag it cannot tell, depend on when scans ran; the
  // marks left for the change follower hold the times of changes, and which are left depends on when it ran; what
  // the scanner recorded of the due flights' bags and connections (work:due_*) depends on when its reads ran.
  const skip = new Set([
    names.stream,
    `bridge:offsets:${names.stream}`,
    BAG_SWEEP_CURSOR,
    BAGS_UNRESOLVED,
    WORK_MARKS,
  ]);
  const keys = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "COUNT", PAGE);
    cursor = next;
    const wanted = found.filter((key) => !skip.has(key) && !key.startsWith(DUE_RECORDS_PREFIX));
    const types = (await redis.pipeline(wanted.map((key) => ["type", key])).exec()) ?? [];
    const reads = redis.pipeline();
    wanted.forEach((key, index) => {
      const type = types[index]?.[1];
      if (type === "hash") reads.hgetall(key);
      else if (type === "zset") reads.zrange(key, 0, -1, "WITHSCORES");
      else if (type === "string") reads.get(key);
      else reads.type(key);
    });
    const values = (await reads.exec()) ?? [];
    wanted.forEach((key, index) => keys.set(rename.get(key) ?? key, canonical(values[index]?.[1])));
    // The scanner's marker holds a time: only its presence is compared.
    if (keys.has(WORK_STATE)) keys.set(WORK_STATE, "present");
  } while (cursor !== "0");

  const items = new Map<string, number>();
  let streamEntries = 0;
  let start = "-";
  while (true) {
    const page = await redis.xrange(names.stream, start, "+", "COUNT", 10 * PAGE);
    for (const [, fields] of page) {
      const entry = new Map<string, string>();
      for (let i = 0; i < fields.length; i += 2) entry.set(fields[i]!, fields[i + 1]!);
      const item = ["flight_id", "bag_id", "revision", "departure_time"].map((field) => entry.get(field)).join(" ");
      items.set(item, (items.get(item) ?? 0) + 1);
      streamEntries += 1;
    }
    if (page.length < 10 * PAGE) break;
    start = `(${page.at(-1)![0]}`;
  }
  return { keys, items, streamEntries, workMessages, archive };
}

/** Compares a run's state with the fault-free run's. */
export function compareStates(expected: FinalState, actual: FinalState): Comparison {
  const examples: string[] = [];
  const note = (kind: string, what: string) => void (examples.length < 12 && examples.push(`${kind}: ${what}`));
  let lost = 0;
  let duplicated = 0;
  let wrong = 0;
  for (const [key, value] of expected.keys) {
    const other = actual.keys.get(key);
    if (other === undefined) {
      lost += 1;
      note("lost key", key);
    } else if (other !== value) {
      wrong += 1;
      note("different", `${key} = ${other.slice(0, 160)} instead of ${value.slice(0, 160)}`);
    }
  }
  for (const key of actual.keys.keys()) {
    if (!expected.keys.has(key)) {
      wrong += 1;
      note("unexpected key", key);
    }
  }
  for (const item of expected.items.keys()) {
    if (!actual.items.has(item)) {
      lost += 1;
      note("lost work item (flight bag revision departure)", item);
    }
  }
  for (const [item, count] of actual.items) {
    if (count > 1) {
      duplicated += count - 1;
      note("duplicated work item", `${item} ×${count}`);
    }
    if (!expected.items.has(item)) {
      wrong += 1;
      note("unexpected work item", item);
    }
  }
  for (const [row, count] of expected.archive) {
    const other = actual.archive.get(row) ?? 0;
    if (other < count) {
      lost += count - other;
      note("lost archive row", row.slice(0, 200));
    } else if (other > count) {
      duplicated += other - count;
      note("duplicated archive row", `${row.slice(0, 200)} ×${other}`);
    }
  }
  for (const row of actual.archive.keys()) {
    if (!expected.archive.has(row)) {
      wrong += 1;
      note("unexpected archive row", row.slice(0, 200));
    }
  }
  return { lost, duplicated, wrong, examples };
}

/** A value in a form that compares equal when the content is equal (hash fields sorted). */
function canonical(value: unknown): string {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return JSON.stringify(value);
}
