/**
 * What the board knows: the current work of each flight arriving soon or landed lately, built from the work
 * stream's entries by the stream's own rules (contracts.md, "Reading it from any language"): a (flight, bag) keeps
 * its highest revision, a removal entry drops the bag but keeps the revision, so an older entry delivered late
 * cannot bring it back.
 */
import type { WorkEntry } from "../stream/stream_reader.ts";
import { compareStreamIds } from "./stream_ids.ts";

/** A bag of a flight, as its latest entry says. */
interface BagWork {
  readonly revision: number;
  /** The next departure time or a code; null once the bag was removed from the flight. */
  readonly departure: number | null;
  readonly nextFlightId: string | null;
  readonly exceptions: readonly string[] | undefined;
}

interface FlightWorkState {
  arrivalTime: number;
  revision: number;
  /** Every bag ever on it, removed ones included (their departure is null). */
  readonly bags: Map<string, BagWork>;
  /** The id of the last entry that changed it. */
  eventId: string;
}

/** A bag on a flight as the page receives it: id, next departure or code, next flight, exceptions. */
export type BagView = [bagId: string, departure: number, nextFlightId: string | null, exceptions?: readonly string[]];

/** A flight as the page receives it (the `flights` event of board_events.ts). */
export interface FlightView {
  readonly id: string;
  readonly arrival_time: number;
  readonly revision: number;
  readonly bags: readonly BagView[];
  /** The stream id of the last entry that changed it. */
  readonly event_id: string;
}

/** Where a bag is routed on one flight (a search's answer). */
export interface BagRouting {
  readonly flight_id: string;
  readonly arrival_time: number;
  readonly revision: number;
  readonly departure_time: number;
  readonly next_flight_id: string | null;
  readonly exceptions: readonly string[];
}

export class BoardState {
  private readonly flights = new Map<string, FlightWorkState>();
  /** The flights each bag has been on, for a search by bag. */
  private readonly flightsOfBag = new Map<string, Set<string>>();
  private lastId: string | undefined;

  /** The id of the last entry applied, if any. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Applies `entries` in stream order; returns the ids of the flights they changed. */
  apply(entries: readonly WorkEntry[]): Set<string> {
    const changed = new Set<string>();
    for (const entry of entries) {
      if (this.applyOne(entry)) changed.add(entry.flight_id);
      this.lastId = entry.id;
    }
    return changed;
  }

  private applyOne(entry: WorkEntry): boolean {
    let flight = this.flights.get(entry.flight_id);
    if (!flight) {
      flight = { arrivalTime: entry.arrival_time, revision: entry.revision, bags: new Map(), eventId: entry.id };
      this.flights.set(entry.flight_id, flight);
    }
    const known = flight.bags.get(entry.bag_id);
    if (known && known.revision > entry.revision) return false;
    if (entry.revision >= flight.revision) {
      flight.revision = entry.revision;
      flight.arrivalTime = entry.arrival_time;
    }
    flight.bags.set(entry.bag_id, {
      revision: entry.revision,
      departure: entry.removed ? null : entry.departure_time,
      nextFlightId: entry.next_flight_id,
      exceptions: entry.exceptions,
    });
    flight.eventId = entry.id;
    let flights = this.flightsOfBag.get(entry.bag_id);
    if (!flights) this.flightsOfBag.set(entry.bag_id, flights = new Set());
    flights.add(entry.flight_id);
    return true;
  }

  /** Forgets the flights that arrived before `arrivedBefore` (Unix seconds); returns how many. */
  forgetArrivedBefore(arrivedBefore: number): number {
    let forgotten = 0;
    for (const [id, flight] of this.flights) {
      if (flight.arrivalTime >= arrivedBefore) continue;
      this.flights.delete(id);
      forgotten += 1;
      for (const bagId of flight.bags.keys()) {
        const flights = this.flightsOfBag.get(bagId);
        flights?.delete(id);
        if (flights?.size === 0) this.flightsOfBag.delete(bagId);
      }
    }
    return forgotten;
  }

  /** The flights arriving at or after `arrivingFrom` changed after event `afterId` (all of them without one). */
  views(arrivingFrom: number, afterId?: string): FlightView[] {
    const views: FlightView[] = [];
    for (const id of this.flights.keys()) {
      const flight = this.flights.get(id)!;
      if (flight.arrivalTime < arrivingFrom) continue;
      if (afterId !== undefined && compareStreamIds(flight.eventId, afterId) <= 0) continue;
      views.push(this.view(id)!);
    }
    return views;
  }

  /** The flight `id` as the page receives it, or undefined when the board has no work of it. */
  view(id: string): FlightView | undefined {
    const flight = this.flights.get(id);
    if (!flight) return undefined;
    const bags: BagView[] = [];
    for (const [bagId, bag] of flight.bags) {
      if (bag.departure === null) continue;
      bags.push(
        bag.exceptions
          ? [bagId, bag.departure, bag.nextFlightId, bag.exceptions]
          : [bagId, bag.departure, bag.nextFlightId],
      );
    }
    return { id, arrival_time: flight.arrivalTime, revision: flight.revision, bags, event_id: flight.eventId };
  }

  /** Where `bagId` is routed on each flight the board knows it on, by arrival. */
  routingOf(bagId: string): BagRouting[] {
    const routing: BagRouting[] = [];
    for (const flightId of this.flightsOfBag.get(bagId) ?? []) {
      const flight = this.flights.get(flightId)!;
      const bag = flight.bags.get(bagId)!;
      if (bag.departure === null) continue;
      routing.push({
        flight_id: flightId,
        arrival_time: flight.arrivalTime,
        revision: bag.revision,
        departure_time: bag.departure,
        next_flight_id: bag.nextFlightId,
        exceptions: bag.exceptions ?? [],
      });
    }
    return routing.sort((a, b) => a.arrival_time - b.arrival_time || a.flight_id.localeCompare(b.flight_id));
  }

  /** Flights held (in view or not yet forgotten). */
  get size(): number {
    return this.flights.size;
  }
}
