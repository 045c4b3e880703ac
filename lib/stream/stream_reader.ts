/**
 * A reader of the work stream that any downstream team can copy: a Redis consumer group
 * (XREADGROUP), an acknowledgement per handled entry (XACK), and a claim of entries left pending by
 * a crashed reader of the same group (XAUTOCLAIM after `claimIdleMs`). Every entry is handled at
 * least once by some reader of the group; handlers should be idempotent (the entry id is unique).
 *
 * It survives:
 * - a handler that throws: the error is logged, that entry stays pending (not acknowledged) and the
 *   others go on. The entry is retried through the claim path: once idle for `claimIdleMs`, XAUTOCLAIM
 *   hands it to whichever reader of the group claims first (this one included), so `claimIdleMs` is
 *   also the retry delay. An entry that always fails is retried every `claimIdleMs` or so, and its
 *   delivery count (XPENDING) keeps growing;
 * - NOGROUP (Redis lost its data, or the stream was deleted): the group is created again at `startAt`
 *   (MKSTREAM) and reading goes on. Entries pending before are gone with the group;
 * - Redis unavailable: logged, retried with backoff.
 */
import type { RedisClient } from "../infra/redis.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { delay } from "../infra/poll.ts";
import { backoffMs } from "../infra/retry.ts";

/** One stream entry: a bag of an arriving flight, or a bag removed from it in this revision. */
export interface WorkEntry {
  readonly id: string;
  readonly flight_id: string;
  readonly bag_id: string;
  readonly arrival_time: number;
  /** The next departure time or a code; null on a removal entry, which has none. */
  readonly departure_time: number | null;
  readonly next_flight_id: string | null;
  /** The bag left the flight in this revision: as the (flight, bag)'s highest revision, it is no longer on it. */
  readonly removed: boolean;
  readonly revision: number;
  readonly scanned_at: number;
  readonly partition: number;
  readonly offset: string;
  /** The bag's exceptions (RUSH, PRIO…), when a baggage message gave it some. */
  readonly exceptions?: readonly string[];
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
    departure_time: map.has("departure_time") ? Number(map.get("departure_time")) : null,
    next_flight_id: map.get("next_flight_id") || null,
    removed: map.get("removed") === "1",
    revision: Number(map.get("revision")),
    scanned_at: Number(map.get("scanned_at")),
    partition: Number(map.get("partition")),
    offset: map.get("offset") ?? "",
    ...(map.has("exceptions") ? { exceptions: map.get("exceptions")!.split(",") } : {}),
  };
}

/** The code of a Redis error reply (its first word, such as `NOGROUP`), or undefined for other errors. */
function redisErrorCode(error: unknown): string | undefined {
  return error instanceof Error && error.name === "ReplyError" ? error.message.split(" ", 1)[0] : undefined;
}

type Handler = (entry: WorkEntry) => Promise<void>;

export class WorkStreamReader {
  private stopped = false;
  private loop: Promise<void> | undefined;

  /** `redis` is used only by this reader: a blocking XREADGROUP holds its connection. */
  constructor(
    private readonly redis: RedisClient,
    private readonly options: StreamReaderOptions,
    private readonly logger: Logger,
  ) {}

  /** Creates the group if needed and handles entries until close(); a handler error leaves the entry pending. */
  async start(handle: Handler): Promise<void> {
    await this.createGroup();
    this.loop = this.run(handle);
  }

  /** Creates the group at `startAt` (and the stream if missing); true if it was missing. */
  private async createGroup(): Promise<boolean> {
    const { stream, group, startAt } = this.options;
    try {
      await this.redis.xgroup("CREATE", stream, group, startAt, "MKSTREAM");
      return true;
    } catch (error) {
      // Another reader of the group created it first.
      if (redisErrorCode(error) === "BUSYGROUP") return false;
      throw error;
    }
  }

  private async run(handle: Handler): Promise<void> {
    let nextClaim = 0;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (Date.now() >= nextClaim) {
          await this.claimAbandoned(handle);
          nextClaim = Date.now() + this.options.claimIdleMs / 2;
        }
        await this.readNew(handle);
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        const code = redisErrorCode(error);
        // Redis 7 unblocks a blocked XREADGROUP whose stream was deleted; the next read answers NOGROUP.
        if (code === "UNBLOCKED") continue;
        if (code === "NOGROUP") await this.recreateGroup().catch((cause) => this.logFailure(cause, ++failures));
        else await this.logFailure(error, ++failures);
      }
    }
  }

  private async readNew(handle: Handler): Promise<void> {
    const { stream, group, consumer, count, blockMs } = this.options;
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

  /** The group is gone (Redis lost its data, or the stream was deleted): create it again and go on reading. */
  private async recreateGroup(): Promise<void> {
    const { stream, group, startAt } = this.options;
    const created = await this.createGroup();
    this.logger.warn(
      { stream, group, start_at: startAt, created },
      created ? "consumer group missing; recreated it" : "consumer group missing; another reader recreated it",
    );
  }

  private async logFailure(error: unknown, attempt: number): Promise<void> {
    const wait = backoffMs(attempt);
    this.logger.warn({ err: errorMessage(error), attempt, wait_ms: wait }, "reading the work stream failed; retrying");
    await delay(wait);
  }

  /** Takes over entries that a reader of the group (this one included) received but did not acknowledge in time. */
  async claimAbandoned(handle: Handler): Promise<number> {
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

  /** Handles each entry and acknowledges those handled; an entry whose handler throws stays pending. */
  private async handleAll(entries: RawEntry[], handle: Handler): Promise<void> {
    const { stream, group, flightId, bagId } = this.options;
    const done: string[] = [];
    for (const raw of entries) {
      const entry = toWorkEntry(raw);
      const wanted = (!flightId || entry.flight_id === flightId) && (!bagId || entry.bag_id === bagId);
      try {
        if (wanted) await handle(entry);
        done.push(entry.id);
      } catch (error) {
        this.logger.error(
          {
            err: errorMessage(error),
            stream,
            group,
            entry_id: entry.id,
            flight_id: entry.flight_id,
            bag_id: entry.bag_id,
          },
          "work entry handler failed; the entry stays pending",
        );
      }
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
