/**
 * A reader of the work stream that any downstream team can copy: a Redis consumer group
 * (XREADGROUP), an acknowledgement per handled entry (XACK), and a claim of entries left pending by
 * a crashed reader of the same group (XAUTOCLAIM after `claimIdleMs`). Every entry is handled at
 * least once by some reader of the group; handlers should be idempotent (the entry id is unique).
 */
import type { Redis } from "ioredis";

/** One stream entry: a bag of an arriving flight. */
export interface WorkEntry {
  readonly id: string;
  readonly flight_id: string;
  readonly bag_id: string;
  readonly arrival_time: number;
  readonly departure_time: number;
  readonly next_flight_id: string | null;
  readonly revision: number;
  readonly scanned_at: number;
  readonly partition: number;
  readonly offset: string;
}

export interface StreamReaderOptions {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** Where a new group starts: "0" the beginning of the stream, "$" only new entries. */
  readonly startAt: "0" | "$";
  /** Only entries of this flight (others are acknowledged without calling the handler). */
  readonly flightId?: string;
  /** Only entries of this bag. */
  readonly bagId?: string;
  readonly claimIdleMs: number;
  readonly count: number;
  readonly blockMs: number;
}

type RawEntry = [id: string, fields: string[]];

/** Converts a raw entry to a WorkEntry. */
export function toWorkEntry([id, fields]: RawEntry): WorkEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return {
    id,
    flight_id: map.get("flight_id") ?? "",
    bag_id: map.get("bag_id") ?? "",
    arrival_time: Number(map.get("arrival_time")),
    departure_time: Number(map.get("departure_time")),
    next_flight_id: map.get("next_flight_id") || null,
    revision: Number(map.get("revision")),
    scanned_at: Number(map.get("scanned_at")),
    partition: Number(map.get("partition")),
    offset: map.get("offset") ?? "",
  };
}

export class WorkStreamReader {
  private stopped = false;
  private loop: Promise<void> | undefined;

  /** `redis` is used only by this reader: a blocking XREADGROUP holds its connection. */
  constructor(private readonly redis: Redis, private readonly options: StreamReaderOptions) {}

  /** Creates the group if needed and handles entries until close(); a handler error leaves the entry pending. */
  async start(handle: (entry: WorkEntry) => Promise<void>): Promise<void> {
    const { stream, group, startAt } = this.options;
    try {
      await this.redis.xgroup("CREATE", stream, group, startAt, "MKSTREAM");
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("BUSYGROUP")) throw error;
    }
    this.loop = this.run(handle);
  }

  private async run(handle: (entry: WorkEntry) => Promise<void>): Promise<void> {
    const { stream, group, consumer, count, blockMs } = this.options;
    let nextClaim = 0;
    while (!this.stopped) {
      if (Date.now() >= nextClaim) {
        await this.claimAbandoned(handle);
        nextClaim = Date.now() + this.options.claimIdleMs / 2;
      }
      const reply = await this.redis.xreadgroup(
        "GROUP",
        group,
        consumer,
        "COUNT",
        count,
        "BLOCK",
        blockMs,
        "STREAMS",
        stream,
        ">",
      ) as [string, RawEntry[]][] | null;
      for (const [, entries] of reply ?? []) await this.handleAll(entries, handle);
    }
  }

  /** Takes over entries that another reader of the group received but did not acknowledge in time. */
  async claimAbandoned(handle: (entry: WorkEntry) => Promise<void>): Promise<number> {
    const { stream, group, consumer, claimIdleMs } = this.options;
    let cursor = "0-0";
    let claimed = 0;
    do {
      const [next, entries] = await this.redis.xautoclaim(
        stream,
        group,
        consumer,
        claimIdleMs,
        cursor,
        "COUNT",
        100,
      ) as [string, RawEntry[]];
      const live = entries.filter((entry) => entry[1] !== null);
      await this.handleAll(live, handle);
      claimed += live.length;
      cursor = next;
    } while (cursor !== "0-0" && !this.stopped);
    return claimed;
  }

  private async handleAll(entries: RawEntry[], handle: (entry: WorkEntry) => Promise<void>): Promise<void> {
    const { stream, group, flightId, bagId } = this.options;
    const done: string[] = [];
    for (const raw of entries) {
      const entry = toWorkEntry(raw);
      const wanted = (!flightId || entry.flight_id === flightId) && (!bagId || entry.bag_id === bagId);
      if (wanted) await handle(entry);
      done.push(entry.id);
    }
    if (done.length > 0) await this.redis.xack(stream, group, ...done);
  }

  /** Stops after the entries in hand; the connection is closed so a blocked read returns at once. */
  async close(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
    await this.loop?.catch(() => {});
  }
}
