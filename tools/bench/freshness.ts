/**
 * Freshness at the seed's rates (issue 14): the real consumers, scanner and bridge run in real time while
 * traffic arrives at the seed's rates with corrections of due flights mixed in (freshness_traffic.ts), once
 * with the change path (SCAN_FOLLOW_CHANGES=true) and once with the minute's sweep alone, on the same traffic.
 * Each run has its own topics and Redis database. Measured from the stream:
 * - change to stream: from the send of a change to the first entry of the due flight that shows it;
 * - lead of a first publication: the flight's arrival time minus the time of its first entry, for the flights
 *   that entered the window during the run (not those the scanner's start-up scan found in it);
 * - CPU per work item: the scanner's and Redis' CPU over the run divided by the work items (bag entries) of the
 *   scans that began in it. The run starts 20 s after a minute begins and lasts whole minutes, so each of the
 *   minute's sweeps falls inside it.
 */
import type { Redis } from "ioredis";
import { connectRedis } from "../../lib/infra/redis.ts";
import { createProducer } from "../../lib/infra/kafka.ts";
import { delay, waitFor } from "../../lib/infra/poll.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { BAG_COUNT, FLIGHT_COUNT } from "../../lib/infra/keys.ts";
import { BENCH_BROKERS, benchKafka, createTopics } from "./bench_stack.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";
import { type Change, type ChangeKind, FreshnessTraffic, type StreamEntry } from "./freshness_traffic.ts";
import { startWorker, type Worker } from "./workers.ts";

/** The seed's rates. */
const FLIGHTS_PER_HOUR = 1000;
const BAGS_PER_HOUR = 300_000;
const WINDOW_SECONDS = 600;
/** One correction of a due flight every this many milliseconds. */
const CORRECTION_EVERY_MS = 1000;
/** How long after a run the changes not yet in the stream are waited for: the minute's sweep and a margin. */
const SETTLE_MS = 75_000;
const STREAM = "stream:bench_fresh_work";

/** Percentiles of a sorted list. */
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

export interface FreshnessRun {
  readonly followChanges: boolean;
  readonly seconds: number;
  readonly changes: {
    readonly sent: number;
    readonly shown: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly p99MsByKind: Partial<Record<ChangeKind, { count: number; p99Ms: number }>>;
  };
  readonly lead: { readonly flights: number; readonly p1Seconds: number; readonly p50Seconds: number };
  readonly workItems: number;
  /** CPU seconds of each process over the run. */
  readonly cpuSeconds: Record<string, number>;
  readonly cpuMicrosecondsPerItem: Record<string, number>;
}

export interface Freshness {
  readonly follow: FreshnessRun;
  readonly minuteOnly: FreshnessRun;
  /** The scanner's and Redis' CPU per work item, the change path over the minute's sweep alone. */
  readonly cpuRatio: number;
}

export interface FreshnessOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly partitions: number;
  readonly runId: string;
  readonly topicPrefix: string;
  /** The bench Redis' URL of database `db`. */
  readonly redisUrl: (db: number) => string;
}

/** Both runs, the change path first. */
export async function freshnessStage(options: FreshnessOptions, step: (message: string) => void): Promise<Freshness> {
  step(`freshness: ${options.seconds} s with the change path (SCAN_FOLLOW_CHANGES=true)`);
  const follow = await freshnessRun(options, true);
  step(`freshness: ${options.seconds} s with the minute's sweep alone (SCAN_FOLLOW_CHANGES=false)`);
  const minuteOnly = await freshnessRun(options, false);
  const cost = (run: FreshnessRun) =>
    (run.cpuMicrosecondsPerItem.scanner ?? 0) + (run.cpuMicrosecondsPerItem["redis-server"] ?? 0);
  return { follow, minuteOnly, cpuRatio: cost(follow) / cost(minuteOnly) };
}

async function freshnessRun(options: FreshnessOptions, followChanges: boolean): Promise<FreshnessRun> {
  const db = followChanges ? 2 : 3;
  const redis = await connectRedis(options.redisUrl(db), `bench-fresh-db${db}`);
  await redis.flushdb();
  const name = (topic: string) => `${options.topicPrefix}${options.runId}.fresh-${db}.${topic}`;
  const topics = { flights: name("flights"), bags: name("bags"), work: name("work") };
  const kafka = benchKafka("bench-fresh");
  await createTopics(kafka, Object.values(topics), options.partitions);
  const env = (service: string) => ({
    ...environment(),
    KAFKA_BROKERS: BENCH_BROKERS,
    REDIS_URL: options.redisUrl(db),
    FLIGHTS_TOPIC: topics.flights,
    BAGS_TOPIC: topics.bags,
    WORK_TOPIC: topics.work,
    WORK_STREAM: STREAM,
    KAFKA_PARTITIONS: String(options.partitions),
    KAFKA_GROUP_ID: `${service}-fresh-${db}-${options.runId}`,
    SCAN_WINDOW_SECONDS: String(WINDOW_SECONDS),
    SCAN_FOLLOW_CHANGES: String(followChanges),
  });
  const workers: Worker[] = [];
  const start = async (service: "flight-consumer" | "bag-consumer" | "bridge" | "arrival-scanner") => {
    const worker = await startWorker({ service, name: `${service} (fresh)`, env: env(service) });
    workers.push(worker);
    return worker;
  };
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await start("flight-consumer");
    await start("bag-consumer");
    // Two hours of arrivals from now: the first hour's data is due before now (sent at once), the second's
    // and the first hour's late bags are sent at their due times during the run.
    const startSeconds = Math.floor(Date.now() / 1000);
    const traffic = new FreshnessTraffic(producer, topics, {
      seed: options.seed,
      startSeconds,
      hours: 2,
      flightsPerHour: FLIGHTS_PER_HOUR,
      bagsPerHour: BAGS_PER_HOUR,
      minConnectionMinutes: 45,
      maxConnectionMinutes: 360,
      lateRate: 0.01,
      missingRate: 0.005,
      emptyRate: 0.002,
    }, WINDOW_SECONDS);
    await traffic.sendDue(Date.now());
    await waitForStored(redis, traffic);
    await start("bridge");
    const scanner = await start("arrival-scanner");
    const scannerStartedMs = Date.now();
    // Start 20 s into a minute, so that the run holds each of its minute's sweeps whole.
    const startMs = Math.ceil((Date.now() - 20_000) / 60_000) * 60_000 + 20_000;
    const changes: Change[] = [];
    while (Date.now() < startMs) changes.push(...await nextTraffic(traffic, startMs));
    changes.length = 0;

    const cpu = new CpuMeter({ scanner: scanner.child.pid, ...stackPids() }).start();
    const endMs = startMs + options.seconds * 1000;
    let nextCorrectionMs = startMs;
    while (Date.now() < endMs) {
      if (Date.now() >= nextCorrectionMs) {
        const change = await traffic.correct();
        if (change) changes.push(change);
        nextCorrectionMs += CORRECTION_EVERY_MS;
      }
      changes.push(...await nextTraffic(traffic, Math.min(nextCorrectionMs, endMs)));
    }
    const used = cpu.stop();

    const entries = await waitForChanges(redis, changes, scannerStartedMs);
    const latencies = new Map<Change, number>();
    for (const change of changes) {
      const shown = (entries.get(change.flight) ?? []).find((entry) =>
        entry.ms >= change.sentMs && change.shows(entry)
      );
      if (shown) latencies.set(change, shown.ms - change.sentMs);
    }
    const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);
    const all = sorted(latencies.values());
    const p99MsByKind: Partial<Record<ChangeKind, { count: number; p99Ms: number }>> = {};
    for (const kind of new Set(changes.map((change) => change.kind))) {
      const ofKind = sorted(
        changes.flatMap((change) => change.kind === kind ? [latencies.get(change) ?? Infinity] : []),
      );
      p99MsByKind[kind] = { count: ofKind.length, p99Ms: percentile(ofKind, 0.99) };
    }

    const leads: number[] = [];
    let workItems = 0;
    for (const flightEntries of entries.values()) {
      const first = flightEntries.find((entry) => entry.revision === 1);
      // A flight that entered the window after the start-up scan, published during the run.
      if (first && (first.arrival - WINDOW_SECONDS) * 1000 >= scannerStartedMs + 1000 && first.ms <= endMs) {
        leads.push(first.arrival - first.ms / 1000);
      }
      workItems += flightEntries.filter((entry) => entry.scannedMs >= startMs && entry.scannedMs < endMs).length;
    }
    const leadsSorted = sorted(leads);
    return {
      followChanges,
      seconds: options.seconds,
      changes: {
        sent: changes.length,
        shown: latencies.size,
        p50Ms: percentile(all, 0.5),
        p99Ms: latencies.size === changes.length ? percentile(all, 0.99) : Infinity,
        maxMs: all.at(-1) ?? NaN,
        p99MsByKind,
      },
      lead: {
        flights: leads.length,
        p1Seconds: percentile(leadsSorted, 0.01),
        p50Seconds: percentile(leadsSorted, 0.5),
      },
      workItems,
      cpuSeconds: used,
      cpuMicrosecondsPerItem: cpuPerUnit(used, workItems),
    };
  } finally {
    for (const worker of workers.reverse()) await worker.stop();
    await producer.disconnect();
    await redis.flushdb();
    await redis.quit();
  }
}

/** Sends what is due until `untilMs` (or the next send, if sooner); the changes it brought. */
async function nextTraffic(traffic: FreshnessTraffic, untilMs: number): Promise<Change[]> {
  const wakeMs = Math.min(untilMs, traffic.nextDueMs());
  await delay(Math.max(0, wakeMs - Date.now()));
  return await traffic.sendDue(Date.now());
}

/** Waits until the consumers stored everything sent so far. */
async function waitForStored(redis: Redis, traffic: FreshnessTraffic): Promise<void> {
  await waitFor(
    async () => {
      const [flights, bags] = (await redis.mget(FLIGHT_COUNT, BAG_COUNT)).map(Number);
      return flights === traffic.distinctFlights() && bags === traffic.distinctBags();
    },
    120_000,
    () => "the freshness stage's consumers did not store the first hour's flights and bags",
  );
}

interface Entry extends StreamEntry {
  readonly scannedMs: number;
}

/** The stream's bag entries since `sinceMs`, per flight, once every change shows or SETTLE_MS passed. */
async function waitForChanges(redis: Redis, changes: readonly Change[], sinceMs: number) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const entries = await readEntries(redis, sinceMs);
    const pending = changes.filter((change) =>
      !(entries.get(change.flight) ?? []).some((entry) => entry.ms >= change.sentMs && change.shows(entry))
    );
    if (pending.length === 0 || Date.now() >= deadline) return entries;
    await delay(1000);
  }
}

async function readEntries(redis: Redis, sinceMs: number): Promise<Map<string, Entry[]>> {
  const byFlight = new Map<string, Entry[]>();
  for (let cursor = `${sinceMs}-0`;;) {
    const page = await redis.xrange(STREAM, cursor, "+", "COUNT", 10_000) as [string, string[]][];
    for (const [id, list] of page) {
      const fields = new Map<string, string>();
      for (let i = 0; i < list.length; i += 2) fields.set(list[i]!, list[i + 1]!);
      if (fields.get("removed") === "1") continue;
      const flight = fields.get("flight_id")!;
      let ofFlight = byFlight.get(flight);
      if (!ofFlight) byFlight.set(flight, ofFlight = []);
      ofFlight.push({
        ms: Number(id.split("-")[0]),
        bag: fields.get("bag_id")!,
        arrival: Number(fields.get("arrival_time")),
        departure: fields.get("departure_time")!,
        revision: Number(fields.get("revision")),
        scannedMs: Number(fields.get("scanned_at")) * 1000,
      });
    }
    if (page.length < 10_000) break;
    cursor = `(${page.at(-1)![0]}`;
  }
  return byFlight;
}
