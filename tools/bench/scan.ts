/**
 * The arrival scan driven in-process with an injected clock (lib/arrival_scan.ts exactly as the
 * scanner runs it): its throughput over most of the dataset, and the time of one ~400-bag flight.
 */
import { Registry } from "prom-client";
import { ArrivalScan } from "../../lib/scan/arrival_scan.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { createLogger } from "../../lib/infra/log.ts";
import { createKafka, createProducer, ensureWorkTopics, type Producer } from "../../lib/infra/kafka.ts";
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { createScannerMetrics } from "../../lib/scan/scanner_metrics.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";
import type { FlightInfo } from "./produce.ts";

/** What the scans share: one Redis connection, one Kafka producer, the loaded scripts. */
export interface ScanRig {
  /** A scanner whose window is [now - grace, now + window]. */
  scanner(windowSeconds: number, graceSeconds?: number): ArrivalScan;
  readonly redis: Redis;
  close(): Promise<void>;
}

/** Builds the rig from a scanner environment (brokers, Redis URL, topics). */
export async function createScanRig(env: Record<string, string | undefined>): Promise<ScanRig> {
  const config = loadConfig("arrival-scanner", env);
  const kafka = createKafka(config, createLogger("bench-scan", "warn"));
  await ensureWorkTopics(kafka, config);
  const redis = await connectRedis(config.redisUrl, "bench-scan");
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  return {
    redis,
    scanner: (windowSeconds, graceSeconds = 0) =>
      new ArrivalScan({
        redis,
        producer,
        metrics: createScannerMetrics(new Registry()),
        config: loadConfig("arrival-scanner", {
          ...env,
          SCAN_WINDOW_SECONDS: String(windowSeconds),
          SCAN_GRACE_SECONDS: String(graceSeconds),
        }),
      }),
    close: async () => {
      await producer.disconnect();
      await redis.quit();
    },
  };
}

/** Flights arriving in [from, to]. */
export const arrivingIn = (flights: readonly FlightInfo[], from: number, to: number) =>
  flights.filter((flight) => flight.arrival >= from && flight.arrival <= to);

export interface ScanThroughput {
  readonly flights: number;
  readonly workItems: number;
  readonly seconds: number;
  readonly workItemsPerSecond: number;
  /** CPU time per work item of the scanner (this process), Redis and Kafka. */
  readonly cpuMicrosecondsPerItem: Record<string, number>;
}

/** One scan over every flight arriving before `boundary`: all of them are new, so all are published. */
export async function scanThroughput(
  rig: ScanRig,
  flights: readonly FlightInfo[],
  boundary: number,
): Promise<ScanThroughput> {
  const first = flights.reduce((min, flight) => Math.min(min, flight.arrival), Infinity);
  const now = first - 1;
  const window = boundary - 1 - now;
  const expected = arrivingIn(flights, now, now + window);
  const scanner = rig.scanner(window);
  const cpu = new CpuMeter({ scanner: Deno.pid, ...stackPids() }).start();
  const started = performance.now();
  const report = await scanner.scan(now);
  const seconds = (performance.now() - started) / 1000;
  const used = cpu.stop();
  if (report.published !== expected.length) {
    throw new Error(`the scan published ${report.published} flights, expected ${expected.length}`);
  }
  const workItems = expected.reduce((sum, flight) => sum + flight.bagCount, 0);
  return {
    flights: expected.length,
    workItems,
    seconds,
    workItemsPerSecond: workItems / seconds,
    cpuMicrosecondsPerItem: cpuPerUnit(used, workItems),
  };
}

export interface SingleFlightScan {
  /** Bags of the flights scanned, and the time of each whole scan() call (ms), in the same order. */
  readonly bagCounts: readonly number[];
  readonly milliseconds: readonly number[];
  readonly medianMs: number;
  readonly flightIds: readonly string[];
}

/**
 * Scans, one at a time, the `samples` unpublished flights (arriving at or after `boundary`) whose
 * manifest is closest to `bags`, each alone in its one-second window, timing each whole scan() call.
 */
export async function singleFlightScan(
  rig: ScanRig,
  flights: readonly FlightInfo[],
  boundary: number,
  bags: number,
  samples: number,
): Promise<SingleFlightScan> {
  const alone = (flight: FlightInfo) => arrivingIn(flights, flight.arrival, flight.arrival + 1).length === 1;
  const chosen = flights
    .filter((flight) => flight.arrival >= boundary && alone(flight))
    .sort((a, b) => Math.abs(a.bagCount - bags) - Math.abs(b.bagCount - bags))
    .slice(0, samples)
    .sort((a, b) => a.arrival - b.arrival);
  if (chosen.length === 0) throw new Error("no flight to time a single-flight scan on");
  const scanner = rig.scanner(1);
  // The first scan of a scanner looks back a day for flights it never published: keep that out of the timings.
  await scanner.scan(boundary - 3);
  const milliseconds: number[] = [];
  for (const flight of chosen) {
    const started = performance.now();
    const report = await scanner.scan(flight.arrival);
    milliseconds.push(performance.now() - started);
    if (report.published !== 1) throw new Error(`the scan of ${flight.id} published ${report.published} flights`);
  }
  const sorted = [...milliseconds].sort((a, b) => a - b);
  return {
    bagCounts: chosen.map((flight) => flight.bagCount),
    milliseconds,
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    flightIds: chosen.map((flight) => flight.id),
  };
}
