/**
 * The chaos runs' data, from the test producer's seeded generator, in two phases so that the
 * work is deterministic: phase 1 is every flight and the bags sent on time; phase 2 the late bags
 * and delayed copies of some flights, which make the scanner publish corrections (revision 2).
 * Scans run only once a phase is fully consumed, so a fault-free run and a faulty one must publish the same work.
 * Phase 1 also holds the largest valid flight (MAX_BAGS_PER_FLIGHT bags with 128-character ids): its work
 * message is about 2 MB, past the broker's default message size, among the ordinary flights of its window.
 */
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { nextDeparture, workDigest } from "../../lib/domain/work.ts";
import { bagMessage, flightMessage, generateDataset } from "../producer/dataset.ts";
import { seededRandom } from "../seeded_random.ts";

/** The messages of one phase. */
export interface Phase {
  readonly flights: readonly Flight[];
  readonly bags: readonly Bag[];
}

export interface ChaosDataset {
  readonly phases: readonly [Phase, Phase];
  /** Each flight's work digest once a phase is consumed: what a complete scan must have confirmed. */
  readonly digests: readonly [ReadonlyMap<string, string>, ReadonlyMap<string, string>];
  /** Bags generated (on manifests), including those whose message is late or never sent. */
  readonly generatedBags: number;
}

const HOURS = 3;
/** The default MAX_BAGS_PER_FLIGHT, and the longest id. */
const LARGEST_FLIGHT_BAGS = 5000;
const LONGEST_ID = 128;
const BAGS_PER_FLIGHT = 25;
const DELAYED_SHARE = 0.03;

/** Builds the dataset of `bags` bags whose flights arrive from `startSeconds` on, over three hours. */
export function buildDataset(options: { seed: number; bags: number; startSeconds: number }): ChaosDataset {
  const bagsPerHour = Math.ceil(options.bags / HOURS);
  const flights: Flight[] = [];
  const onTime: Bag[] = [];
  const late: Bag[] = [];
  let generatedBags = 0;
  for (
    const chunk of generateDataset({
      seed: options.seed,
      startSeconds: options.startSeconds,
      hours: HOURS,
      flightsPerHour: Math.ceil(bagsPerHour / BAGS_PER_FLIGHT),
      bagsPerHour,
      minConnectionMinutes: 45,
      maxConnectionMinutes: 360,
      lateRate: 0.01,
      missingRate: 0.005,
      emptyRate: 0.002,
    })
  ) {
    flights.push(...chunk.flights.map(flightMessage));
    for (const bag of chunk.bags) {
      generatedBags += 1;
      const message = bagMessage(bag);
      if (message) (bag.kind === "late" ? late : onTime).push(message);
    }
  }
  const largest = largestValidFlight(options.startSeconds + 3600, flights[0]!);
  flights.push(largest.flight);
  onTime.push(...largest.bags);
  generatedBags += largest.bags.length;
  const random = seededRandom(options.seed);
  const delayed = flights.filter(() => random() < DELAYED_SHARE).map((flight) => {
    const delay = 60 * (5 + Math.floor(random() * 36));
    return { ...flight, departure_time: flight.departure_time + delay, arrival_time: flight.arrival_time + delay };
  });

  const phase1 = { flights, bags: onTime };
  const phase2 = { flights: delayed, bags: late };
  return {
    phases: [phase1, phase2],
    digests: [expectedDigests([phase1]), expectedDigests([phase1, phase2])],
    generatedBags,
  };
}

/** A flight with LARGEST_FLIGHT_BAGS bags, every id LONGEST_ID characters, each bag connecting to `next`. */
function largestValidFlight(arrival: number, next: Flight): { flight: Flight; bags: Bag[] } {
  const id = (prefix: string, n: number) => `${prefix}${n}_`.padEnd(LONGEST_ID, "x");
  const bags = Array.from(
    { length: LARGEST_FLIGHT_BAGS },
    (_, n) => ({ id: id("BAG_LARGEST_", n), flights: [] as string[] }),
  );
  const flight = {
    id: id("FL_LARGEST_", 0),
    departure_time: arrival - 7200,
    arrival_time: arrival,
    bags: bags.map((bag) => bag.id),
  };
  for (const bag of bags) bag.flights = [flight.id, next.id];
  return { flight, bags };
}

/** The digest of every flight's work once `phases` are applied in order, computed as the scanner does. */
function expectedDigests(phases: readonly Phase[]): Map<string, string> {
  const flights = new Map<string, Flight>();
  const itineraries = new Map<string, readonly string[]>();
  for (const phase of phases) {
    for (const flight of phase.flights) flights.set(flight.id, flight);
    for (const bag of phase.bags) itineraries.set(bag.id, bag.flights);
  }
  const departures = new Map([...flights.values()].map((flight) => [flight.id, flight.departure_time]));
  const digests = new Map<string, string>();
  for (const flight of flights.values()) {
    const bags: Record<string, number> = {};
    const nextFlights: Record<string, string | null> = {};
    for (const bag of flight.bags) {
      const { value, nextFlight } = nextDeparture(flight.id, { itinerary: itineraries.get(bag) ?? null, departures });
      bags[bag] = value;
      nextFlights[bag] = nextFlight;
    }
    digests.set(
      flight.id,
      workDigest({ id: flight.id, arrival_time: flight.arrival_time, bags, next_flights: nextFlights }),
    );
  }
  return digests;
}

/** How many flights' work changes from phase 1 to phase 2 (the corrections a fault-free run publishes). */
export function corrections(dataset: ChaosDataset): number {
  const [before, after] = dataset.digests;
  return [...after].filter(([id, digest]) => before.get(id) !== digest).length;
}
