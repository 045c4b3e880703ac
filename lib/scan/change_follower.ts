/**
 * The scanner's change path, beside the cron sweep: publishes a due flight's new revision within about a
 * second of the upsert that changed it, and a flight's first revision within about a second of it entering
 * the window.
 *
 * The upserts mark the due flights whose work they may change (work:marks, one queue per master on a cluster: see
 * mark_queues.ts, lua/upsert_flights.lua and lua/upsert_bags.lua). This loop waits for marks (each queue popped with a
 * blocking read), gathers what follows for SCAN_MARKS_BATCH_MS, adds the flights that entered the window since its last
 * turn, and rescans just those with the sweep's claim, revision and digest rules: a mark without a real change (a
 * replay) claims nothing. It never waits longer than the next flight's entry into the window. Marks popped by a replica
 * that dies before publishing are not lost work: the next sweep (SCAN_SCHEDULE) finds the same change. While Redis
 * lacks the publication states (a restore pending, see work_state_restore.ts) it publishes nothing: the sweep restores
 * them first.
 */
import type { Clock } from "../infra/clock.ts";
import type { Config } from "../infra/config.ts";
import type { RedisClient } from "../infra/redis.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { delay } from "../infra/poll.ts";
import { backoffMs, canRetry, crash } from "../infra/retry.ts";
import type { ArrivalScan } from "./arrival_scan.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import { MarkInbox } from "./mark_queues.ts";
import { firstArrivalAfter, flightsArrivingBetween } from "./slot_aggregates.ts";
import { workStateIntact } from "./work_state_restore.ts";

/** The longest a turn waits for a mark, so that the loop notices a flight entering the window and a close. */
const MAX_WAIT_SECONDS = 1;
/** Marks taken per turn: a rescan of this many flights stays well under a second. */
const MARKS_PER_TURN = 500;

export interface ChangeFollowerDeps {
  readonly redis: RedisClient;
  readonly scan: ArrivalScan;
  readonly config: Config;
  readonly metrics: ScannerMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** Follows the marks and the window's edge until closed. */
export class ChangeFollower {
  private readonly inbox: MarkInbox;
  /** The window's upper edge at the last turn: flights arriving after it had not entered yet. */
  private windowEdge: number;
  /** Flights another replica held at the last turn, with their mark time: tried again at the next. */
  private retry = new Map<string, number | undefined>();
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ChangeFollowerDeps) {
    this.inbox = new MarkInbox(deps.redis, deps.logger);
    this.windowEdge = deps.clock() + deps.config.scan.windowSeconds;
  }

  /**
   * Starts following. `scannedAt` is when the scan that covered the window last began (the scan at start-up):
   * flights that entered the window since then are the first to be rescanned.
   */
  start(scannedAt: number): void {
    this.windowEdge = scannedAt + this.deps.config.scan.windowSeconds;
    this.loop = this.run();
  }

  /** Stops after the turn in hand. Safe to call twice. */
  async close(): Promise<void> {
    this.running = false;
    await this.inbox.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let failures = 0; this.running;) {
      try {
        await this.turn();
        failures = 0;
      } catch (error) {
        if (!this.running) return;
        if (!canRetry(error)) crash(this.deps.logger, "following changes", error);
        failures += 1;
        this.deps.logger.warn({ err: errorMessage(error), attempt: failures }, "following changes failed; retrying");
        await delay(backoffMs(failures));
      }
    }
  }

  /** Waits for marks or the next entry into the window, then rescans what they name. */
  private async turn(): Promise<void> {
    const { redis, config, clock, metrics } = this.deps;
    await this.inbox.refresh();
    const marks = new Map(this.retry);
    this.retry = new Map();
    if (marks.size > 0) {
      await this.inbox.waitForMarks(config.scan.marksBatchMs / 1000);
    } else {
      await this.inbox.waitForMarks(await this.secondsToNextEntry());
      // Gather what follows the first mark: one rescan for a burst of changes.
      if (this.inbox.size > 0 && config.scan.marksBatchMs > 0) await delay(config.scan.marksBatchMs);
    }
    if (!this.running) return;
    for (const [id, at] of this.inbox.take(MARKS_PER_TURN)) marks.set(id, Math.min(at, marks.get(id) ?? at));
    const now = clock();
    const edge = now + config.scan.windowSeconds;
    const entering = await flightsArrivingBetween(redis, `(${this.windowEdge}`, edge);
    this.windowEdge = Math.max(this.windowEdge, edge);
    for (const id of entering) if (!marks.has(id)) marks.set(id, undefined);
    if (marks.size === 0) return;
    if (!await workStateIntact(redis)) {
      // Redis lost the revisions: the next sweep restores them first. The marks wait for it.
      this.retry = marks;
      await delay(MAX_WAIT_SECONDS * 1000);
      return;
    }
    const outcome = await this.deps.scan.rescan([...marks.keys()], now);
    const publishedAt = clock();
    for (const id of outcome.sentIds) {
      const markedAt = marks.get(id);
      if (markedAt !== undefined) metrics.changeToPublishSeconds.observe(Math.max(0, publishedAt - markedAt / 1000));
    }
    for (const id of outcome.claimedElsewhere) this.retry.set(id, marks.get(id));
  }

  /** Seconds until the next flight enters the window (at its arrival minus SCAN_WINDOW_SECONDS), at most one. */
  private async secondsToNextEntry(): Promise<number> {
    const { redis, config, clock } = this.deps;
    const next = await firstArrivalAfter(redis, this.windowEdge);
    if (next === undefined) return MAX_WAIT_SECONDS;
    return Math.min(MAX_WAIT_SECONDS, Math.max(0, next - config.scan.windowSeconds - clock()));
  }
}
