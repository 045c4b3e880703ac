/**
 * The dataset as a schedule feed and baggage source messages (PRODUCER_FORMAT=bsm). Flights keep their times but
 * take their real ids (real_ids.ts) and lose their manifests, which the consumer builds from the BSMs. A bag becomes
 * one BSM keyed by its tag number: terminating (`.V/1X…`, `.I`) for one flight, transfer (`.V/1T…`, `.I`, `.F`, then
 * `.O`) for two or three. An empty itinerary has no BSM: in this mode empty bags are sent as little as missing ones.
 */
import { en, Faker } from "@faker-js/faker";
import type { FlightMessage } from "../../lib/domain/flight.ts";
import { type BsmFlight, type Passenger, passengerName, renderBsm } from "./bsm.ts";
import { type DatasetOptions, type GeneratedBag, scheduledFlights } from "./dataset.ts";
import { realFlightIds, tagNumber } from "./real_ids.ts";

/** The airport every BSM is for. */
export const HOME_AIRPORT = "LHR";
/** The other ends of the flights: each flight has one, picked by a hash of its `FL_…` id (drawn from the seed). */
export const AIRPORTS = ["AMS", "CDG", "DXB", "FRA", "HKG", "JFK", "MAD", "ORD", "SIN", "SYD", "YYZ", "ZRH"] as const;
/** Distinct passenger names of a run: bag i gets name i mod NAME_POOL, drawn from faker with the seed. */
export const NAME_POOL = 1024;

/** A bag's baggage message: the Kafka key (its tag number) and value (the BSM's text). */
export interface BaggageMessage {
  readonly tag: string;
  readonly text: string;
}

/** How the dataset's records are sent in `bsm` mode. */
export interface BsmEncoding {
  /** Real id by `FL_…` id, for every flight of the dataset. */
  readonly realIds: ReadonlyMap<string, string>;
  /** The schedule message of a flight: real id and times, no `bags`. */
  flight(flight: FlightMessage): FlightMessage;
  /** The BSM of a bag, or null when none is sent (missing and empty bags). */
  bag(bag: GeneratedBag): BaggageMessage | null;
}

/** Everything `bsm` mode needs, from the dataset's options: maps all flights first, as bags name later ones. */
export function bsmEncoding(options: DatasetOptions): BsmEncoding {
  const realIds = realFlightIds(scheduledFlights(options));
  const passengers = drawPassengers(options.seed);
  return {
    realIds,
    flight: (flight) => ({
      id: realIdOf(realIds, flight.id),
      departure_time: flight.departure_time,
      arrival_time: flight.arrival_time,
    }),
    bag: (bag) => {
      const text = datasetBsm(bag, realIds, passengers);
      return text === null ? null : { tag: tagNumber(bag.index), text };
    },
  };
}

/** NAME_POOL passenger names drawn from faker seeded with `seed`. */
export function drawPassengers(seed: number): Passenger[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  return Array.from({ length: NAME_POOL }, () => ({
    surname: passengerName(faker.person.lastName()),
    given: passengerName(faker.person.firstName()),
  }));
}

/**
 * The BSM text of a dataset bag, given the real ids of the flights: null for a missing bag (never sent) and an empty
 * one (no flight to name). The tag is tagNumber(bag.index), the passenger `passengers[index % length]`.
 */
export function datasetBsm(
  bag: GeneratedBag,
  realIds: ReadonlyMap<string, string>,
  passengers: readonly Passenger[],
): string | null {
  if (bag.kind === "missing" || bag.kind === "empty" || bag.itinerary.length === 0) return null;
  const [inbound, outbound, ...onward] = bag.itinerary.map((id) => bsmFlight(id, realIdOf(realIds, id)));
  return renderBsm({
    tag: tagNumber(bag.index),
    source: outbound === undefined ? "X" : "T",
    airport: HOME_AIRPORT,
    inbound,
    outbound,
    onward,
    passenger: passengers[bag.index % passengers.length]!,
  });
}

/** A flight element from a real id: `BA0282-2026-12-02` is BA0282 on 2026-12-02. */
function bsmFlight(flightId: string, realId: string): BsmFlight {
  const dash = realId.indexOf("-");
  return { designator: realId.slice(0, dash), date: realId.slice(dash + 1), airport: airportOf(flightId) };
}

function realIdOf(realIds: ReadonlyMap<string, string>, flightId: string): string {
  const realId = realIds.get(flightId);
  if (realId === undefined) throw new Error(`flight ${flightId} is not in the dataset's real ids`);
  return realId;
}

/** The flight's other airport: FNV-1a of its id, modulo the list. */
function airportOf(flightId: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < flightId.length; index++) {
    hash = Math.imul(hash ^ flightId.charCodeAt(index), 0x01000193);
  }
  return AIRPORTS[(hash >>> 0) % AIRPORTS.length]!;
}
