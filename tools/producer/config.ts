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
 * | PRODUCER_FORMAT                   | json        | `json`: flights and bags as JSON; `bsm`: flight schedules and one BSM a bag (below) |
 * | PRODUCER_SEED                     | 1           | seed of the generator: same seed and same start give identical data     |
 * | PRODUCER_MIN_CONNECTION_MINUTES   | 45          | shortest time between a flight's arrival and the next flight's departure |
 * | PRODUCER_MAX_CONNECTION_MINUTES   | 360         | longest such time (must exceed the minimum)                             |
 * | PRODUCER_LATE_ITINERARY_RATE      | 0.01        | share of bags whose message is sent 5 minutes before their first flight arrives |
 * | PRODUCER_MISSING_ITINERARY_RATE   | 0.005       | share of bags whose message is never sent                               |
 * | PRODUCER_EMPTY_ITINERARY_RATE     | 0.002       | share of bags sent with `flights: []` although they are on manifests    |
 *
 * The three rates must add up to at most 1. A flight carries at most 3 × ⌈PRODUCER_BAGS_PER_HOUR /
 * PRODUCER_FLIGHTS_PER_HOUR⌉ bags (see flightCapacity()), which must not exceed the consumers' MAX_BAGS_PER_FLIGHT.
 *
 * With `bsm` the flights go to FLIGHTS_TOPIC with real ids (`BA0282-2026-12-02`) and without `bags`, and each bag as
 * an IATA baggage source message to BAGGAGE_MESSAGES_TOPIC, keyed by its 10-digit tag (bsm_dataset.ts, real_ids.ts).
 * Empty itineraries cannot be written as a BSM and are not sent, as missing ones. PRODUCER_FLIGHTS_PER_HOUR is then at
 * most 20,000, so that no airline runs out of its 9,999 flight numbers of a day.
 */
import { EnvReader } from "../../lib/infra/config.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { flightCapacity, MAX_LEGS } from "./dataset.ts";

/** How fast the producer publishes. */
export const PACES = ["realistic", "max"] as const;
export type Pace = typeof PACES[number];
/** What the producer sends: JSON flights and bags, or schedules and IATA baggage source messages. */
export const FORMATS = ["json", "bsm"] as const;
export type Format = typeof FORMATS[number];
/** Most flights an hour in `bsm` mode: about 24 × 20,000 / 126 airlines ≈ 3,800 numbers of an airline's 9,999 a day. */
export const MAX_BSM_FLIGHTS_PER_HOUR = 20_000;

/** The validated settings of the test producer. */
export interface ProducerSettings {
  readonly flightsPerHour: number;
  readonly bagsPerHour: number;
  readonly hours: number;
  readonly startOffsetSeconds: number;
  readonly pace: Pace;
  readonly format: Format;
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
    format: r.oneOf("PRODUCER_FORMAT", "json", FORMATS),
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
  if (settings.format === "bsm" && settings.flightsPerHour > MAX_BSM_FLIGHTS_PER_HOUR) {
    r.fail(
      "PRODUCER_FLIGHTS_PER_HOUR",
      `must be at most ${MAX_BSM_FLIGHTS_PER_HOUR} with PRODUCER_FORMAT=bsm (each airline has 9999 flight numbers a day)`,
      String(settings.flightsPerHour),
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
