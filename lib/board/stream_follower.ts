/**
 * The board's one tail of the work stream: reads the recent entries at start (XRANGE), then follows new ones
 * (XREAD BLOCK) and hands each batch, in stream order, to `onEntries`. Plain XREAD, no consumer group: the board
 * only reads, and every board process sees every entry. Redis unavailable: logged and retried with backoff,
 * going on after the last entry handled.
 */
import type { RedisClient } from "../infra/redis.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { delay } from "../infra/poll.ts";
import { backoffMs } from "../infra/retry.ts";
import { toWorkEntry, type WorkEntry } from "../stream/stream_reader.ts";

type RawEntry = [id: string, fields: string[]];

const PAGE = 1_000;
const BLOCK_MS = 1_000;

export class StreamFollower {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastId = "0-0";

  /** `redis` is used only by this follower: a blocking XREAD holds its connection. */
  constructor(
    private readonly redis: RedisClient,
    private readonly stream: string,
    private readonly onEntries: (entries: WorkEntry[]) => void,
    private readonly logger: Logger,
  ) {}

  /** Reads every entry written since `sinceMs` (Unix ms), then follows the stream until close(). */
  async start(sinceMs: number): Promise<void> {
    let from = `${Math.max(0, Math.floor(sinceMs))}-0`;
    while (true) {
      const page = await this.redis.xrange(this.stream, from, "+", "COUNT", PAGE) as RawEntry[];
      if (page.length > 0) this.handle(page);
      if (page.length < PAGE) break;
      from = `(${this.lastId}`;
    }
    if (this.lastId === "0-0") this.lastId = `${Math.max(0, Math.floor(sinceMs))}-0`;
    this.loop = this.follow();
  }

  private handle(raw: RawEntry[]): void {
    this.lastId = raw.at(-1)![0];
    this.onEntries(raw.map(toWorkEntry));
  }

  private async follow(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const reply = await this.redis.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", this.stream, this.lastId) as
          | [string, RawEntry[]][]
          | null;
        for (const [, entries] of reply ?? []) if (entries.length > 0) this.handle(entries);
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        const wait = backoffMs(++failures);
        this.logger.warn(
          { err: errorMessage(error), attempt: failures, wait_ms: wait },
          "following the work stream failed; retrying",
        );
        await delay(wait);
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
    await this.loop;
  }
}
