/**
 * The test producer's settings, read once from the environment with EnvReader and returned frozen.
 *
 * | Variable                          | Default     | Meaning                                                                 |
 * |-----------------------------------|-------------|-------------------------------------------------------------------------|
 * | PRODUCER_FLIGHTS_PER_HOUR         | 1000        | flights arriving in each hour of the window (1 to 100,000)              |
 * | PRODUCER_BAGS_PER_HOUR            | 300000      | bags whose first flight arrives in each hour (0 to 10,000,000)          |
 * | PRODUCER_HOURS                    | 24          | length of the arrival window in hours (1 to 744)                        |
 * | PRODUCER_START_OFFSET_SECONDS     | 120         | start of the arrival window, in seconds from now (0 to 7 days)          |
 * | PRODUCER_PACE                     | realistic   | `realistic`: each hour's data during the hour before it arrives; `max`: as fast as possible |
 * | PRODUCER_SEED                     | 1           | seed of the generator: same seed and same start give identical data     |
 * | PRODUCER_MIN_CONNECTION_MINUTES   | 45          | shortest time between a flight's arrival and the next flight's departure |
 * | PRODUCER_MAX_CONNECTION_MINUTES   | 360         | longest such time (must exceed the minimum)                             |
 * | PRODUCER_LATE_ITINERARY_RATE      | 0.01        | share of bags whose message is sent 5 minutes before their first flight arrives |
 * | PRODUCER_MISSING_ITINERARY_RATE   | 0.005       | share of bags whose message is never sent                               |
 * | PRODUCER_EMPTY_ITINERARY_RATE     | 0.002       | share of bags sent with `flights: []` although they are on manifests    |
 *
 * The three rates must add up to at most 1. A flight carries at most 3 × ⌈PRODUCER_BAGS_PER_HOUR /
 * PRODUCER_FLIGHTS_PER_HOUR⌉ bags (see flightCapacity()), which must not exceed the consumers' MAX_BAGS_PER_FLIGHT.
 */
import { EnvReader } from "../../lib/infra/config.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { flightCapacity, MAX_LEGS } from "./dataset.ts";

/** How fast the producer publishes. */
export const PACES = ["realistic", "max"] as const;
export type Pace = typeof PACES[number];

/** The validated settings of the test producer. */
export interface ProducerSettings {
  readonly flightsPerHour: number;
  readonly bagsPerHour: number;
  readonly hours: number;
  readonly startOffsetSeconds: number;
  readonly pace: Pace;
  readonly seed: number;
  readonly minConnectionMinutes: number;
  readonly maxConnectionMinutes: number;
  readonly lateRate: number;
  readonly missingRate: number;
  readonly emptyRate: number;
}

/** Reads and validates the producer's settings; `maxBagsPerFlight` is the consumers' MAX_BAGS_PER_FLIGHT. */
export function loadProducerSettings(
  maxBagsPerFlight: number,
  env: Record<string, string | undefined> = environment(),
): ProducerSettings {
  const r = new EnvReader(env);
  const settings: ProducerSettings = {
    flightsPerHour: r.integer("PRODUCER_FLIGHTS_PER_HOUR", 1000, 1, 100_000),
    bagsPerHour: r.integer("PRODUCER_BAGS_PER_HOUR", 300_000, 0, 10_000_000),
    hours: r.integer("PRODUCER_HOURS", 24, 1, 744),
    startOffsetSeconds: r.integer("PRODUCER_START_OFFSET_SECONDS", 120, 0, 7 * 24 * 3600),
    pace: r.oneOf("PRODUCER_PACE", "realistic", PACES),
    seed: r.integer("PRODUCER_SEED", 1, 0, 2 ** 32 - 1),
    minConnectionMinutes: r.integer("PRODUCER_MIN_CONNECTION_MINUTES", 45, 0, 24 * 60),
    maxConnectionMinutes: r.integer("PRODUCER_MAX_CONNECTION_MINUTES", 360, 1, 48 * 60),
    lateRate: r.number("PRODUCER_LATE_ITINERARY_RATE", 0.01, 0, 1),
    missingRate: r.number("PRODUCER_MISSING_ITINERARY_RATE", 0.005, 0, 1),
    emptyRate: r.number("PRODUCER_EMPTY_ITINERARY_RATE", 0.002, 0, 1),
  };
  if (settings.maxConnectionMinutes <= settings.minConnectionMinutes) {
    r.fail(
      "PRODUCER_MAX_CONNECTION_MINUTES",
      `must be more than PRODUCER_MIN_CONNECTION_MINUTES (${settings.minConnectionMinutes})`,
      String(settings.maxConnectionMinutes),
    );
  }
  const rates = settings.lateRate + settings.missingRate + settings.emptyRate;
  if (rates > 1) {
    r.fail(
      "PRODUCER_LATE_ITINERARY_RATE",
      "plus the missing and empty itinerary rates must not exceed 1",
      String(rates),
    );
  }
  if (flightCapacity(settings.bagsPerHour, settings.flightsPerHour) > maxBagsPerFlight) {
    r.fail(
      "PRODUCER_BAGS_PER_HOUR",
      `/ PRODUCER_FLIGHTS_PER_HOUR (${settings.flightsPerHour}), rounded up, × ${MAX_LEGS} must not exceed MAX_BAGS_PER_FLIGHT (${maxBagsPerFlight})`,
      String(settings.bagsPerHour),
    );
  }
  r.assertValid("Cannot start");
  return Object.freeze(settings);
}
