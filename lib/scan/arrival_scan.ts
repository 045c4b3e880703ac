/**
 * One arrival scan: every flight arriving within the window (or landed within the grace period) gets its
 * work computed; new or changed work is claimed, published, confirmed, so corrections go on while the
 * bags are handled, until SCAN_GRACE_SECONDS after landing.
 *
 * Crash safety: the claim is written before the send and confirmed after it, so a scan killed in
 * between leaves a claim that the next scan (after SCAN_CLAIM_SECONDS) publishes again.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Producer } from "kafkajs";
import type { Config } from "../infra/config.ts";
import { bagOutcome, type FlightWork, maxWorkMessageBytes, type WorkContent, workDigest } from "../domain/work.ts";
import { isRecordRejected, sendGroups } from "../infra/kafka.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { type DeadWork, sendDeadWork } from "./work_dead_letters.ts";
import { BAG_COUNT, FLIGHT_ARRIVALS, FLIGHT_COUNT, FLIGHTS_ARRIVED, workStateKey } from "../infra/keys.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import type { LuaScript } from "../infra/scripts.ts";
import { isUnreadable, readFlightWork } from "./work_reader.ts";
import { expireOldFlights } from "./expiry.ts";
import { sweepOrphanBags } from "./bag_sweep.ts";

/** What one scan did. */
export interface ScanReport {
  readonly scanned: number;
  readonly published: number;
  readonly unchanged: number;
  readonly claimedElsewhere: number;
  readonly deadLettered: number;
}

export interface ArrivalScanDeps {
  readonly redis: Redis;
  readonly producer: Producer;
  readonly claimScript: LuaScript;
  readonly confirmScript: LuaScript;
  readonly failScript: LuaScript;
  readonly expireScript: LuaScript;
  readonly metrics: ScannerMetrics;
  readonly config: Config;
  readonly logger?: Logger;
}

/** Claim results below 1 (see lua/claim_flight_work.lua). */
const UNCHANGED = 0;
const CLAIMED_ELSEWHERE = -1;

const STARTUP_LOOKBACK_SECONDS = 24 * 3600;

type Counts = { -readonly [K in keyof ScanReport]: number };

export class ArrivalScan {
  private readonly replicaId = randomUUID();
  private readonly maxWorkBytes: number;
  private lastLowerBound: number | undefined;

  constructor(private readonly deps: ArrivalScanDeps) {
    this.maxWorkBytes = maxWorkMessageBytes(deps.config.limits);
  }

  /**
   * Scans as of `nowSeconds` (injected so tests control the clock). A flight whose work cannot be published
   * is dead-lettered without holding up the others; the retention step runs even when publishing failed.
   */
  async scan(nowSeconds: number): Promise<ScanReport> {
    const { redis, config, metrics } = this.deps;
    const stopTimer = metrics.scanSeconds.startTimer();
    const lowerBound = nowSeconds - config.scan.graceSeconds;
    // Only a metric depends on the count of skipped flights: it is read alongside the window, not before it.
    const [, flightIds] = await Promise.all([
      this.countSkippedTooOld(lowerBound),
      redis.zrangebyscore(FLIGHT_ARRIVALS, lowerBound, nowSeconds + config.scan.windowSeconds),
    ]);
    const token = `${this.replicaId}:${nowSeconds}`;
    const totals: Counts = {
      scanned: flightIds.length,
      published: 0,
      unchanged: 0,
      claimedElsewhere: 0,
      deadLettered: 0,
    };
    const add = (report: Partial<Counts>) => {
      for (const [name, value] of Object.entries(report)) totals[name as keyof Counts] += value;
    };
    // Batch k + 1 is read and claimed while batch k is sent and confirmed: the client's work overlaps the
    // broker's. Sends stay in batch order. A failed send leaves claims that the next scan takes over, as a crash would.
    let publishing: Promise<Partial<Counts>> = Promise.resolve({});
    let failure: unknown;
    try {
      for (let start = 0; start < flightIds.length; start += config.scan.batchFlights) {
        const batch = flightIds.slice(start, start + config.scan.batchFlights);
        const claimed = await this.claimBatch(batch, nowSeconds, token);
        add(await publishing);
        add(claimed.report);
        publishing = this.publishBatch(claimed.messages, claimed.dead, token);
        // Awaited on the next turn or below; this only keeps a failure during the next claim from being "unhandled".
        publishing.catch(() => {});
      }
    } catch (error) {
      failure = error;
    }
    try {
      add(await publishing);
    } catch (error) {
      failure ??= error;
    }
    metrics.flightsScanned.inc(flightIds.length);
    await this.expireAndCount(nowSeconds);
    stopTimer();
    if (failure !== undefined) throw failure;
    return totals;
  }

  /**
   * Deletes the bags no expiry reaches (see bag_sweep.ts), a page of keys a call. Housekeeping, run after each
   * scan rather than inside it, so that it never delays work. Returns the number of bags deleted.
   */
  async sweep(nowSeconds: number): Promise<number> {
    const { redis, config, metrics } = this.deps;
    const swept = await sweepOrphanBags(redis, {
      keysPerScan: config.scan.sweepKeysPerScan,
      unresolvedSeconds: config.limits.maxFutureSeconds + config.scan.dataRetentionSeconds,
      nowSeconds,
    });
    metrics.sweptBags.inc(swept);
    if (swept > 0) metrics.storedBags.set(Number(await redis.get(BAG_COUNT) ?? 0));
    return swept;
  }

  /** Deletes what is past DATA_RETENTION_SECONDS and updates the stored-count gauges. */
  private async expireAndCount(nowSeconds: number): Promise<void> {
    const { redis, config, metrics } = this.deps;
    // The counters are read with the expiry's first read (one round trip less), and again if it deleted anything.
    const readCounts = () => redis.mget(FLIGHT_COUNT, BAG_COUNT);
    const [expired, counts] = await Promise.all([
      expireOldFlights(redis, this.deps.expireScript, nowSeconds, config.scan.dataRetentionSeconds),
      readCounts(),
    ]);
    metrics.expiredFlights.inc(expired.flights);
    metrics.expiredBags.inc(expired.bags);
    const [flights, bags] = expired.flights + expired.bags > 0 ? await readCounts() : counts;
    metrics.storedFlights.set(Number(flights ?? 0));
    metrics.storedBags.set(Number(bags ?? 0));
  }

  /** Computes the work of `flightIds` and claims the revisions to publish (or to dead-letter, when unreadable). */
  private async claimBatch(flightIds: string[], now: number, token: string) {
    const { config, metrics } = this.deps;
    const contents = await readFlightWork(this.deps.redis, flightIds);
    const present = contents.flatMap((content) => (content ? [content] : []));
    const claimArgs: (string | number)[] = [token, config.scan.claimSeconds, config.scan.stateRetentionSeconds];
    for (const content of present) {
      claimArgs.push(isUnreadable(content) ? `unreadable:${content.digest}` : workDigest(content));
    }
    const claims = await this.deps.claimScript.run(
      present.map((content) => workStateKey(content.id)),
      claimArgs,
    ) as number[];

    // Only a flight published before (a claim above revision 1) can have removed bags: the others cost no read.
    const previousBags = await this.publishedBags(
      present.flatMap((content, index) => claims[index]! > 1 && !isUnreadable(content) ? [content.id] : []),
    );
    const messages: FlightWork[] = [];
    const dead: DeadWork[] = [];
    const report = { unchanged: 0, claimedElsewhere: 0 };
    present.forEach((content, index) => {
      const claim = claims[index]!;
      if (claim > 0 && isUnreadable(content)) {
        dead.push({ id: content.id, revision: claim, reason: "unreadable", detail: content.unreadable });
      } else if (claim > 0) {
        const work = content as WorkContent;
        const removed = (previousBags.get(work.id) ?? []).filter((bag) => !Object.hasOwn(work.bags, bag));
        messages.push({ ...work, revision: claim, scanned_at: now, removed_bags: removed });
      } else if (claim === UNCHANGED) report.unchanged += 1;
      else if (claim === CLAIMED_ELSEWHERE) report.claimedElsewhere += 1;
    });
    metrics.claimConflicts.inc(report.claimedElsewhere);
    return { messages, dead, report };
  }

  /**
   * The bags of each flight's last published revision (`bags` of work:flight:<id>, recorded by
   * confirm_flight_work.lua), in one pipelined round trip. A flight without one is left out.
   */
  private async publishedBags(flightIds: readonly string[]): Promise<Map<string, readonly string[]>> {
    const bags = new Map<string, readonly string[]>();
    if (flightIds.length === 0) return bags;
    const pipeline = this.deps.redis.pipeline();
    for (const id of flightIds) pipeline.hget(workStateKey(id), "bags");
    ((await pipeline.exec()) ?? []).forEach(([error, reply], index) => {
      if (error) throw error;
      if (typeof reply !== "string") return;
      const id = flightIds[index]!;
      const list = parseBagList(reply);
      if (list) bags.set(id, list);
      else this.deps.logger?.warn({ flight: id }, "published bags unreadable; no removed bags listed for this flight");
    });
    return bags;
  }

  /**
   * Sends claimed work to Kafka and confirms it; work too large for the topic, or that the broker rejects
   * on its own, goes to the dead-letter topic instead. Throws only for what affects every flight (Kafka or
   * Redis away): the claims then stay, and the next scan takes them over.
   */
  private async publishBatch(
    messages: readonly FlightWork[],
    unreadable: readonly DeadWork[],
    token: string,
  ): Promise<Partial<Counts>> {
    const { config, metrics } = this.deps;
    const dead = [...unreadable];
    const sendable: { work: FlightWork; value: string }[] = [];
    for (const work of messages) {
      const value = JSON.stringify(work);
      if (value.length <= this.maxWorkBytes) sendable.push({ work, value });
      else {
        const detail = `work message of ${value.length} bytes exceeds the largest valid one (${this.maxWorkBytes})`;
        dead.push({ id: work.id, revision: work.revision, reason: "too_large", detail, work, value });
      }
    }
    const { sent, rejected } = await this.send(sendable);
    dead.push(...rejected);
    if (sent.length > 0) {
      const confirmArgs: (string | number)[] = [token];
      // The manifest is recorded with the revision: the next revision lists the bags it no longer has.
      for (const work of sent) {
        confirmArgs.push(work.id, work.revision, work.arrival_time, JSON.stringify(Object.keys(work.bags)));
      }
      await this.deps.confirmScript.run([FLIGHTS_ARRIVED, ...sent.map((work) => workStateKey(work.id))], confirmArgs);
    }
    if (dead.length > 0) {
      await sendDeadWork(this.deps.producer, config.topics.work, dead);
      await this.deps.failScript.run(dead.map((entry) => workStateKey(entry.id)), [
        token,
        ...dead.map((entry) => entry.revision),
      ]);
      for (const entry of dead) {
        metrics.deadLettered.inc({ reason: entry.reason });
        this.deps.logger?.error(
          { flight: entry.id, revision: entry.revision, reason: entry.reason, detail: entry.detail },
          "work dead-lettered; the flight is tried again when its work changes",
        );
      }
    }
    this.countPublished(sent);
    return { published: sent.length, deadLettered: dead.length };
  }

  /** Sends the values in groups; a group the broker rejects for its records is sent again message by message. */
  private async send(items: readonly { work: FlightWork; value: string }[]) {
    const topic = this.deps.config.topics.work;
    const sent: FlightWork[] = [];
    const rejected: DeadWork[] = [];
    const sendGroup = (group: readonly { work: FlightWork; value: string }[]) =>
      this.deps.producer.send({
        topic,
        acks: -1,
        messages: group.map(({ work, value }) => ({ key: work.id, value })),
      });
    for (const group of sendGroups(items)) {
      try {
        await sendGroup(group);
        sent.push(...group.map(({ work }) => work));
        continue;
      } catch (error) {
        if (!isRecordRejected(error)) throw error;
      }
      for (const item of group) {
        try {
          await sendGroup([item]);
          sent.push(item.work);
        } catch (error) {
          if (!isRecordRejected(error)) throw error;
          rejected.push({
            id: item.work.id,
            revision: item.work.revision,
            reason: "rejected",
            detail: `the broker rejected it: ${errorMessage(error)}`,
            work: item.work,
            value: item.value,
          });
        }
      }
    }
    return { sent, rejected };
  }

  private countPublished(sent: readonly FlightWork[]): void {
    const { metrics } = this.deps;
    // One increment per outcome and batch: a labelled increment per bag cost more than the bag's own work.
    const outcomes = new Map<string, number>();
    for (const work of sent) {
      metrics.workMessages.inc();
      if (work.revision > 1) metrics.corrections.inc();
      for (const value of Object.values(work.bags)) {
        const outcome = bagOutcome(value);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      metrics.latestArrival.set(work.arrival_time);
    }
    for (const [outcome, count] of outcomes) metrics.bagWorkItems.inc({ outcome }, count);
  }

  /**
   * Counts flights that fell below the grace bound since the last scan without ever being published
   * (at start-up, those of the last day: a scanner that was down longer than the grace lost them).
   */
  private async countSkippedTooOld(lowerBound: number): Promise<void> {
    const previous = this.lastLowerBound ?? lowerBound - STARTUP_LOOKBACK_SECONDS;
    this.lastLowerBound = lowerBound;
    if (lowerBound <= previous) return;
    const expired = await this.deps.redis.zrangebyscore(FLIGHT_ARRIVALS, `(${previous}`, `(${lowerBound}`);
    if (expired.length === 0) return;
    const pipeline = this.deps.redis.pipeline();
    for (const id of expired) pipeline.exists(workStateKey(id));
    const published = (await pipeline.exec()) ?? [];
    const neverPublished = published.filter(([, exists]) => exists === 0).length;
    this.deps.metrics.skippedTooOld.inc(neverPublished);
  }
}

/** A stored JSON list of bag ids, or undefined when it is not one (not written by our scripts). */
function parseBagList(text: string): readonly string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  } catch {
    // not JSON: reported by the caller
  }
  return undefined;
}
