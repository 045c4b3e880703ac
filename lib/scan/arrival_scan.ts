/**
 * One arrival scan: every flight arriving within the window (or landed within the grace period) gets its
 * work computed; new or changed work is claimed, published, confirmed, so corrections go on while the
 * bags are handled, until SCAN_GRACE_SECONDS after landing.
 *
 * Crash safety: the claim is written before the send and confirmed after it, so a scan killed in
 * between leaves a claim that the next scan (after SCAN_CLAIM_SECONDS) publishes again.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../infra/redis.ts";
import type { Producer } from "kafkajs";
import type { Config } from "../infra/config.ts";
import type { Logger } from "../infra/log.ts";
import { flightKey, workStateKey } from "../infra/keys.ts";
import { readPerNode } from "../infra/node_calls.ts";
import { arrivalsOf, flightsArrivingBetween, storedCounts } from "./slot_aggregates.ts";
import { RISK_GRADES, type RiskGrade } from "../domain/connection_risk.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import { claimWork } from "./work_claims.ts";
import { type Published, WorkPublisher } from "./work_publisher.ts";
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
  readonly redis: RedisClient;
  readonly producer: Producer;
  readonly metrics: ScannerMetrics;
  readonly config: Config;
  readonly logger?: Logger;
}

const STARTUP_LOOKBACK_SECONDS = 24 * 3600;

/** What a scan counts. */
export type Counts = { -readonly [K in keyof ScanReport]: number };

/** What a scan of some flights did: its counts, the flights it published, and those another scan held. */
export interface ScanOutcome {
  readonly report: ScanReport;
  /** Transfer bags of the flights scanned, by connection risk. */
  readonly risk: Readonly<Record<RiskGrade, number>>;
  readonly sentIds: readonly string[];
  readonly claimedElsewhere: readonly string[];
}

export class ArrivalScan {
  private readonly replicaId = randomUUID();
  private readonly publisher: WorkPublisher;
  private lastLowerBound: number | undefined;

  constructor(private readonly deps: ArrivalScanDeps) {
    this.publisher = new WorkPublisher(deps);
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
      flightsArrivingBetween(redis, lowerBound, nowSeconds + config.scan.windowSeconds),
    ]);
    let failure: unknown;
    let outcome: ScanOutcome | undefined;
    try {
      outcome = await this.claimAndPublish(flightIds, nowSeconds);
    } catch (error) {
      failure = error;
    }
    metrics.flightsScanned.inc(flightIds.length);
    if (outcome) { for (const grade of RISK_GRADES) metrics.connectionRisk.set({ grade }, outcome.risk[grade]); }
    await this.expireAndCount(nowSeconds);
    stopTimer();
    if (failure !== undefined || !outcome) throw failure;
    return outcome.report;
  }

  /**
   * Scans only `flightIds` as of `nowSeconds` (flights marked as changed, or entering the window): those in the
   * window or the grace period get their work claimed and published by the same rules as a whole scan.
   */
  async rescan(flightIds: readonly string[], nowSeconds: number): Promise<ScanOutcome> {
    const { redis, config } = this.deps;
    if (flightIds.length === 0) return this.claimAndPublish([], nowSeconds);
    const arrivals = await arrivalsOf(redis, flightIds);
    const [from, until] = [nowSeconds - config.scan.graceSeconds, nowSeconds + config.scan.windowSeconds];
    const due = flightIds.filter((_, index) => {
      const arrival = arrivals[index] ?? NaN;
      return arrival >= from && arrival <= until;
    });
    return await this.claimAndPublish(due, nowSeconds);
  }

  /**
   * Claims and publishes the work of `flightIds` in batches. Batch k + 1 is read and claimed while batch k is
   * sent and confirmed: the client's work overlaps the broker's. Sends stay in batch order. A failed send leaves
   * claims that the next scan takes over, as a crash would; it is thrown once the batches in flight are done.
   */
  private async claimAndPublish(flightIds: readonly string[], nowSeconds: number): Promise<ScanOutcome> {
    const { config } = this.deps;
    const token = `${this.replicaId}:${nowSeconds}`;
    const totals: Counts = {
      scanned: flightIds.length,
      published: 0,
      unchanged: 0,
      claimedElsewhere: 0,
      deadLettered: 0,
    };
    const sentIds: string[] = [];
    const elsewhere: string[] = [];
    const risk: Record<RiskGrade, number> = { critical: 0, hot: 0, warm: 0, ok: 0 };
    const add = (report: Partial<Counts>) => {
      for (const [name, value] of Object.entries(report)) totals[name as keyof Counts] += value;
    };
    const settle = async (publishing: Promise<Published>) => {
      const published = await publishing;
      add(published.counts);
      sentIds.push(...published.sentIds);
    };
    let publishing: Promise<Published> = Promise.resolve({ counts: {}, sentIds: [] });
    let failure: unknown;
    try {
      for (let start = 0; start < flightIds.length; start += config.scan.batchFlights) {
        const batch = flightIds.slice(start, start + config.scan.batchFlights);
        const claimed = await claimWork(this.deps, batch, nowSeconds, token);
        await settle(publishing);
        add(claimed.report);
        elsewhere.push(...claimed.elsewhere);
        for (const grade of RISK_GRADES) risk[grade] += claimed.risk[grade];
        publishing = this.publisher.publish(claimed.messages, claimed.dead, token);
        // Awaited on the next turn or below; this only keeps a failure during the next claim from being "unhandled".
        publishing.catch(() => {});
      }
    } catch (error) {
      failure = error;
    }
    try {
      await settle(publishing);
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
    return { report: totals, sentIds, claimedElsewhere: elsewhere, risk };
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
    if (swept > 0) metrics.storedBags.set((await storedCounts(redis)).bags);
    return swept;
  }

  /** Deletes what is past DATA_RETENTION_SECONDS and updates the stored-count gauges. */
  private async expireAndCount(nowSeconds: number): Promise<void> {
    const { redis, config, metrics } = this.deps;
    // The counters are read with the expiry's first read (one round trip less), and again if it deleted anything.
    const [expired, counts] = await Promise.all([
      expireOldFlights(redis, nowSeconds, config.scan.dataRetentionSeconds),
      storedCounts(redis),
    ]);
    metrics.expiredFlights.inc(expired.flights);
    metrics.expiredBags.inc(expired.bags);
    const { flights, bags } = expired.flights + expired.bags > 0 ? await storedCounts(redis) : counts;
    metrics.storedFlights.set(flights);
    metrics.storedBags.set(bags);
  }

  /**
   * Counts flights that fell below the grace bound since the last scan without ever being published
   * (at start-up, those of the last day: a scanner that was down longer than the grace lost them).
   */
  private async countSkippedTooOld(lowerBound: number): Promise<void> {
    const previous = this.lastLowerBound ?? lowerBound - STARTUP_LOOKBACK_SECONDS;
    this.lastLowerBound = lowerBound;
    if (lowerBound <= previous) return;
    const { redis } = this.deps;
    const expired = await flightsArrivingBetween(redis, `(${previous}`, `(${lowerBound}`);
    if (expired.length === 0) return;
    const published = await readPerNode(redis, expired, flightKey, async ({ node, items, scopes }) => {
      const pipeline = node.pipeline();
      items.forEach((id, index) => pipeline.exists(workStateKey(id, scopes[index])));
      return ((await pipeline.exec()) ?? []).map(([error, exists]) => {
        if (error) throw error;
        return exists;
      });
    });
    const neverPublished = published.filter((exists) => exists === 0).length;
    this.deps.metrics.skippedTooOld.inc(neverPublished);
  }
}
