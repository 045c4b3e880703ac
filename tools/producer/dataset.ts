/**
 * Seeded, streaming generation of test flights and bags: pure (no I/O, no clock), so the same
 * options always give the same data. All flights of the window are drawn first (a few thousand);
 * bags are then drawn hour by hour so that memory holds one hour of bags, not the whole window.
 */
import { en, Faker } from "@faker-js/faker";
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";

/** Most flights in one itinerary. */
export const MAX_LEGS = 3;
/** Chance that an itinerary has 1, 2 or 3 flights (it is shorter when no connection is feasible). */
const LEG_WEIGHTS = [0.6, 0.3, 0.1] as const;
/** Random picks among the feasible connections before an itinerary is cut short because they are full. */
const CONNECTION_TRIES = 4;
const MIN_FLIGHT_SECONDS = 3600;
const MAX_FLIGHT_SECONDS = 6 * 3600;
const HOUR = 3600;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the generator needs; `startSeconds` is the start of the arrival window (Unix seconds). */
export interface DatasetOptions {
  readonly seed: number;
  readonly startSeconds: number;
  readonly hours: number;
  readonly flightsPerHour: number;
  readonly bagsPerHour: number;
  readonly minConnectionMinutes: number;
  readonly maxConnectionMinutes: number;
  readonly lateRate: number;
  readonly missingRate: number;
  readonly emptyRate: number;
}

/** A flight with its complete manifest and its airline-style number (never sent: the wire id is `FL_<uuid>`). */
export interface GeneratedFlight extends Flight {
  readonly flightNumber: string;
}

/**
 * How a bag's message is sent: `on_time` with its chunk, `late` at its first flight's arrival minus
 * 5 minutes, `missing` never, `empty` with its chunk but with `flights: []`.
 */
export type BagKind = "on_time" | "late" | "missing" | "empty";

/**
 * A bag with its true itinerary (the flights whose manifests list it) and how its message is sent; `index` is its
 * position in the dataset (0, 1, … over all hours), from which `bsm` mode numbers its tag.
 */
export interface GeneratedBag {
  readonly id: string;
  readonly index: number;
  readonly itinerary: readonly string[];
  readonly kind: BagKind;
  readonly firstArrival: number;
}

/** Chunk `hour`: the flights arriving in that hour and the bags whose first flight arrives in it. */
export interface DatasetChunk {
  readonly hour: number;
  readonly flights: readonly GeneratedFlight[];
  readonly bags: readonly GeneratedBag[];
}

/** A flight without its manifest, as drawn before any bag. */
export interface FlightSchedule {
  readonly id: string;
  readonly flightNumber: string;
  readonly departure_time: number;
  readonly arrival_time: number;
}

/**
 * Most bags on one flight: MAX_LEGS × the average number of bags starting on a flight. A flight
 * takes connecting bags only while it has fewer than that average (they are all drawn before its
 * own first-leg bags), so the flights near the end of the window, the only ones many bags can
 * connect to, do not collect thousands of bags.
 */
export function flightCapacity(bagsPerHour: number, flightsPerHour: number): number {
  return MAX_LEGS * Math.ceil(bagsPerHour / flightsPerHour);
}

/** The wire value of a flight: exactly the four fields of the `flights` message. */
export function flightMessage(flight: Flight): Flight {
  return { id: flight.id, departure_time: flight.departure_time, arrival_time: flight.arrival_time, bags: flight.bags };
}

/** The wire value of a bag, or null for a bag whose message is never sent. */
export function bagMessage(bag: GeneratedBag): Bag | null {
  if (bag.kind === "missing") return null;
  return { id: bag.id, flights: bag.kind === "empty" ? [] : bag.itinerary };
}

/**
 * Yields one chunk per hour of the arrival window, in order. When chunk h is yielded every flight in
 * it has its complete manifest: later legs of a bag always arrive later, and the bags of earlier
 * chunks were drawn before. Manifests of later flights are kept until their chunk.
 */
export function* generateDataset(options: DatasetOptions): Generator<DatasetChunk> {
  const faker = seededFaker(options.seed);
  const hours = drawFlights(faker, options);
  const byDeparture = hours.flat().sort((a, b) => a.departure_time - b.departure_time || compare(a.id, b.id));
  const departures = byDeparture.map((flight) => flight.departure_time);
  const manifests = new Map<string, string[]>(byDeparture.map((flight) => [flight.id, []]));
  const minConnection = options.minConnectionMinutes * 60;
  const maxConnection = options.maxConnectionMinutes * 60;
  const capacity = flightCapacity(options.bagsPerHour, options.flightsPerHour);
  const connectionLimit = capacity / MAX_LEGS;
  const load = (flight: FlightSchedule) => manifests.get(flight.id)!.length;

  // A later flight departing within the connection window that still takes connecting bags.
  const nextLeg = (previous: FlightSchedule): FlightSchedule | undefined => {
    const from = lowerBound(departures, previous.arrival_time + minConnection);
    const to = lowerBound(departures, previous.arrival_time + maxConnection + 1);
    for (let attempt = 0; from < to && attempt < CONNECTION_TRIES; attempt++) {
      const candidate = byDeparture[faker.number.int({ min: from, max: to - 1 })]!;
      if (load(candidate) < connectionLimit) return candidate;
    }
    return undefined;
  };

  // A random flight of the hour with room; one always has room: connections fill at most a third of each.
  const firstLeg = (arriving: readonly FlightSchedule[]): FlightSchedule => {
    let index = faker.number.int({ min: 0, max: arriving.length - 1 });
    while (load(arriving[index]!) >= capacity) index = (index + 1) % arriving.length;
    return arriving[index]!;
  };

  let bagIndex = 0;
  for (const [hour, arriving] of hours.entries()) {
    const bags: GeneratedBag[] = [];
    for (let count = 0; count < options.bagsPerHour && arriving.length > 0; count++) {
      const first = firstLeg(arriving);
      const legs = drawLegCount(faker);
      const itinerary = [first];
      for (let leg = 1; leg < legs; leg++) {
        const next = nextLeg(itinerary[itinerary.length - 1]!);
        if (!next) break;
        itinerary.push(next);
      }
      const id = uniqueId(faker, "BAG_");
      for (const flight of itinerary) manifests.get(flight.id)!.push(id);
      const kind = drawKind(faker, options);
      bags.push({
        id,
        index: bagIndex,
        itinerary: itinerary.map((flight) => flight.id),
        kind,
        firstArrival: first.arrival_time,
      });
      bagIndex += 1;
    }
    const flights = arriving.map((schedule): GeneratedFlight => {
      const manifest = manifests.get(schedule.id)!;
      manifests.delete(schedule.id);
      return { ...schedule, bags: manifest };
    });
    hours[hour] = [];
    yield { hour, flights, bags };
  }
}

/**
 * The flights generateDataset() yields, without manifests, in the order it yields them (by arrival hour, then
 * arrival time and id), all at once: what a consumer of the dataset needs before the first chunk (bags name flights
 * of later chunks). Draws them again, as generateDataset() does first.
 */
export function scheduledFlights(options: DatasetOptions): FlightSchedule[] {
  return drawFlights(seededFaker(options.seed), options).flat();
}

function seededFaker(seed: number): Faker {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  return faker;
}

/** Every flight of the window, grouped by arrival hour and sorted by arrival time. */
function drawFlights(faker: Faker, options: DatasetOptions): FlightSchedule[][] {
  const hours: FlightSchedule[][] = [];
  for (let hour = 0; hour < options.hours; hour++) {
    const hourStart = options.startSeconds + hour * HOUR;
    const flights: FlightSchedule[] = [];
    for (let count = 0; count < options.flightsPerHour; count++) {
      const arrival = hourStart + faker.number.int({ min: 0, max: HOUR - 1 });
      const duration = faker.number.int({ min: MIN_FLIGHT_SECONDS, max: MAX_FLIGHT_SECONDS });
      const airline = faker.airline.airline().iataCode;
      const flightNumber = `${airline}${faker.airline.flightNumber({ addLeadingZeros: true })}`;
      const id = uniqueId(faker, "FL_");
      flights.push({ id, flightNumber, departure_time: arrival - duration, arrival_time: arrival });
    }
    hours.push(flights.sort((a, b) => a.arrival_time - b.arrival_time || compare(a.id, b.id)));
  }
  return hours;
}

/**
 * `prefix` + a uuid4 from the seeded PRNG, as one flat string: faker's uuid is a tree of pieces of
 * about 220 bytes in V8, a flat copy 60, and up to ~1.2 million ids wait in manifests of later flights.
 */
function uniqueId(faker: Faker, prefix: string): string {
  return decoder.decode(encoder.encode(prefix + faker.string.uuid({ version: 4 })));
}

function drawLegCount(faker: Faker): number {
  let draw = faker.number.float();
  for (const [index, weight] of LEG_WEIGHTS.entries()) {
    if (draw < weight) return index + 1;
    draw -= weight;
  }
  return MAX_LEGS;
}

function drawKind(faker: Faker, options: DatasetOptions): BagKind {
  const draw = faker.number.float();
  if (draw < options.emptyRate) return "empty";
  if (draw < options.emptyRate + options.missingRate) return "missing";
  if (draw < options.emptyRate + options.missingRate + options.lateRate) return "late";
  return "on_time";
}

/** The first index whose value is at least `value` in the ascending `values`. */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
