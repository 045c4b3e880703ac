/**
 * Scan-to-stream latency at the seed's rates: while the bridge runs, the scanner publishes the
 * flights of the dataset's last hour in ticks of a seed minute's worth (1,000 flights an hour ≈ 17
 * a scan), one tick a second. Each entry's latency is its stream id's millisecond time minus the
 * wall-clock start of the scan that published it (what `scanned_at` records in production).
 */
import { delay } from "../../lib/infra/poll.ts";
import type { Redis } from "../../lib/infra/redis.ts";
import { arrivingIn, type ScanRig } from "./scan.ts";
import type { FlightInfo } from "./produce.ts";
import { entriesAdded, measureUntil } from "./progress.ts";

/** Flights a seed scan publishes: 1,000 flights an hour, one scan a minute. */
export const SEED_FLIGHTS_PER_SCAN = Math.round(1000 / 60);
const TICK_MS = 1_000;

export interface Latency {
  readonly ticks: number;
  readonly flights: number;
  readonly entries: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Publishes every flight arriving at or after `from` in ticks while the bridge mirrors them into
 * `stream`, then reads the phase's entries back. `flightsPerHour` sizes each tick's window.
 */
export async function latencyPhase(
  rig: ScanRig,
  redis: Redis,
  stream: string,
  flights: readonly FlightInfo[],
  from: number,
  flightsPerHour: number,
  alreadyPublished: ReadonlySet<string>,
): Promise<Latency> {
  const last = flights.reduce((max, flight) => Math.max(max, flight.arrival), 0);
  // A window holding SEED_FLIGHTS_PER_SCAN flights on average; windows are [now, now + window], so ticks step window + 1.
  const window = Math.max(1, Math.round((3600 * SEED_FLIGHTS_PER_SCAN) / flightsPerHour) - 1);
  const scanner = rig.scanner(window);
  await scanner.scan(from - window - 2); // the start-up look-back, out of the timed ticks
  const entriesBefore = await entriesAdded(redis, stream)();
  const phaseStartMs = Date.now();
  const tickStart = new Map<string, number>();
  let expected = 0;
  let ticks = 0;
  for (let now = from; now <= last; now += window + 1) {
    const started = Date.now();
    await scanner.scan(now);
    ticks += 1;
    for (const flight of arrivingIn(flights, now, now + window)) {
      if (alreadyPublished.has(flight.id)) continue;
      tickStart.set(flight.id, started);
      expected += flight.bagCount;
    }
    await delay(Math.max(0, started + TICK_MS - Date.now()));
  }
  await measureUntil(entriesAdded(redis, stream), entriesBefore + expected, 30_000, () => "latency phase entries");

  const latencies: number[] = [];
  for (let cursor = `${phaseStartMs}-0`;;) {
    const page = await redis.xrange(stream, cursor, "+", "COUNT", 10_000) as [string, string[]][];
    for (const [id, fields] of page) {
      const flight = fields[fields.indexOf("flight_id") + 1];
      const started = flight === undefined ? undefined : tickStart.get(flight);
      if (started !== undefined) latencies.push(Number(id.split("-")[0]) - started);
    }
    if (page.length < 10_000) break;
    cursor = `(${page.at(-1)![0]}`;
  }
  if (latencies.length !== expected) {
    throw new Error(`read ${latencies.length} latency-phase entries back, expected ${expected}`);
  }
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    ticks,
    flights: tickStart.size,
    entries: latencies.length,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: latencies.at(-1) ?? 0,
  };
}
