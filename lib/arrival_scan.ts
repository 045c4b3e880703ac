/**
 * One arrival scan: every flight arriving within the window (or landed within the grace period and
 * never published) gets its work computed; new or changed work is claimed, published, confirmed.
 *
 * Crash safety: the claim is written before the send and confirmed after it, so a scan killed in
 * between leaves a claim that the next scan (after SCAN_CLAIM_SECONDS) publishes again.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Producer } from "kafkajs";
import type { Config } from "./config.ts";
import { bagOutcome, type FlightWork, workDigest } from "./domain/work.ts";
import { BAG_COUNT, FLIGHT_ARRIVALS, FLIGHT_COUNT, FLIGHTS_ARRIVED, workStateKey } from "./keys.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import type { LuaScript } from "./scripts.ts";
import { readFlightWork } from "./work_reader.ts";
import { expireOldFlights } from "./expiry.ts";

/** What one scan did. */
export interface ScanReport {
  readonly scanned: number;
  readonly published: number;
  readonly unchanged: number;
  readonly claimedElsewhere: number;
  readonly final: number;
}

export interface ArrivalScanDeps {
  readonly redis: Redis;
  readonly producer: Producer;
  readonly claimScript: LuaScript;
  readonly confirmScript: LuaScript;
  readonly expireScript: LuaScript;
  readonly metrics: ScannerMetrics;
  readonly config: Config;
}

/** Claim results below 1 (see lua/claim_flight_work.lua). */
const UNCHANGED = 0;
const CLAIMED_ELSEWHERE = -1;
const FINAL = -2;

const STARTUP_LOOKBACK_SECONDS = 24 * 3600;

export class ArrivalScan {
  private readonly replicaId = randomUUID();
  private lastLowerBound: number | undefined;

  constructor(private readonly deps: ArrivalScanDeps) {}

  /** Scans as of `nowSeconds` (injected so tests control the clock). */
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
    const totals = { scanned: flightIds.length, published: 0, unchanged: 0, claimedElsewhere: 0, final: 0 };
    const add = (report: Omit<ScanReport, "scanned">) => {
      totals.published += report.published;
      totals.unchanged += report.unchanged;
      totals.claimedElsewhere += report.claimedElsewhere;
      totals.final += report.final;
    };
    // Batch k + 1 is read and claimed while batch k is sent and confirmed: the client's work overlaps the
    // broker's. Sends stay in batch order. A failed send leaves claims that the next scan takes over, as a crash would.
    let publishing: Promise<number> = Promise.resolve(0);
    try {
      for (let start = 0; start < flightIds.length; start += config.scan.batchFlights) {
        const batch = flightIds.slice(start, start + config.scan.batchFlights);
        const claimed = await this.claimBatch(batch, nowSeconds, token);
        totals.published += await publishing;
        add(claimed.report);
        publishing = this.publishBatch(claimed.messages, token);
        // Awaited on the next turn or below; this only keeps a failure during the next claim from being "unhandled".
        publishing.catch(() => {});
      }
    } finally {
      totals.published += await publishing;
    }
    metrics.flightsScanned.inc(flightIds.length);
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
    stopTimer();
    return totals;
  }

  /** Computes the work of `flightIds` and claims the revisions to publish. */
  private async claimBatch(flightIds: string[], now: number, token: string) {
    const { config, metrics } = this.deps;
    const contents = await readFlightWork(this.deps.redis, flightIds);
    const present = contents.flatMap((content) => (content ? [content] : []));
    const claimArgs: (string | number)[] = [now, token, config.scan.claimSeconds, config.scan.stateRetentionSeconds];
    for (const content of present) claimArgs.push(workDigest(content), content.arrival_time <= now ? "1" : "0");
    const claims = await this.deps.claimScript.run(
      present.map((content) => workStateKey(content.id)),
      claimArgs,
    ) as number[];

    const messages: FlightWork[] = [];
    const report = { published: 0, unchanged: 0, claimedElsewhere: 0, final: 0 };
    present.forEach((content, index) => {
      const claim = claims[index]!;
      if (claim > 0) messages.push({ ...content, revision: claim, scanned_at: now });
      else if (claim === UNCHANGED) report.unchanged += 1;
      else if (claim === CLAIMED_ELSEWHERE) report.claimedElsewhere += 1;
      else if (claim === FINAL) report.final += 1;
    });
    metrics.claimConflicts.inc(report.claimedElsewhere);
    return { messages, report };
  }

  /** Sends claimed work to Kafka, then confirms it; returns how many messages were published. */
  private async publishBatch(messages: readonly FlightWork[], token: string): Promise<number> {
    const { config, metrics } = this.deps;
    if (messages.length === 0) return 0;
    await this.deps.producer.send({
      topic: config.topics.work,
      acks: -1,
      messages: messages.map((work) => ({ key: work.id, value: JSON.stringify(work) })),
    });
    const confirmArgs: (string | number)[] = [token];
    for (const work of messages) confirmArgs.push(work.id, work.revision, work.arrival_time);
    await this.deps.confirmScript.run([FLIGHTS_ARRIVED, ...messages.map((work) => workStateKey(work.id))], confirmArgs);

    // One increment per outcome and batch: a labelled increment per bag cost more than the bag's own work.
    const outcomes = new Map<string, number>();
    for (const work of messages) {
      metrics.workMessages.inc();
      if (work.revision > 1) metrics.corrections.inc();
      for (const value of Object.values(work.bags)) {
        const outcome = bagOutcome(value);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      metrics.latestArrival.set(work.arrival_time);
    }
    for (const [outcome, count] of outcomes) metrics.bagWorkItems.inc({ outcome }, count);
    return messages.length;
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
