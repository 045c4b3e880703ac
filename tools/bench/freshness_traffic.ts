/**
 * The traffic of the freshness stage (freshness.ts): the seed's rates from the test producer's generator and
 * schedule (1,000 flights and 300,000 bags an hour, late bags sent 5 minutes before their first flight lands),
 * and corrections of due flights mixed in, one kind after the other: a delay, a bag added to the manifest, a
 * bag rerouted to end at the due flight, and a move of a next flight's departure. Each change that a due flight's
 * work must show is returned with the test its next revision's stream entries pass.
 */
import type { Producer } from "kafkajs";
import { sendGroups } from "../../lib/infra/kafka.ts";
import { seededRandom } from "../seeded_random.ts";
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { type DatasetOptions, generateDataset } from "../producer/dataset.ts";
import { type ScheduledSend, scheduleSends } from "../producer/schedule.ts";

/** The fields of a work stream entry that the tests read. */
export interface StreamEntry {
  readonly ms: number;
  readonly bag: string;
  readonly arrival: number;
  readonly departure: string;
  readonly revision: number;
}

export type ChangeKind = "late_itinerary" | "delay" | "bag_added" | "rerouted" | "next_departure_moved";

/** A change sent at `sentMs` that the work of due flight `flight` must show. */
export interface Change {
  readonly kind: ChangeKind;
  readonly flight: string;
  readonly sentMs: number;
  /** The bag whose routing shows the change, when one does (not for a delay). */
  readonly bag?: string;
  /** Whether `entry` (of `flight`, published after the send) shows the change. */
  readonly shows: (entry: StreamEntry) => boolean;
}

const CORRECTION_KINDS = ["delay", "bag_added", "rerouted", "next_departure_moved"] as const;
const DELAY_SECONDS = 120;
const DEPARTURE_MOVE_SECONDS = 300;

export class FreshnessTraffic {
  private readonly sends: Iterator<ScheduledSend>;
  private pending: ScheduledSend | undefined;
  private readonly flights = new Map<string, Flight>();
  private readonly itineraries = new Map<string, readonly string[]>();
  /** Flights a correction touched: each is corrected once, so that every change stays visible on its own. */
  private readonly corrected = new Set<string>();
  private readonly pick: () => number;
  private corrections = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topics: { readonly flights: string; readonly bags: string },
    dataset: DatasetOptions,
    private readonly windowSeconds: number,
  ) {
    this.sends = scheduleSends(generateDataset(dataset), dataset.startSeconds);
    this.pending = this.sends.next().value ?? undefined;
    this.pick = seededRandom(dataset.seed);
  }

  /** Flights and bags sent so far, each counted once. */
  distinctFlights = () => this.flights.size;
  distinctBags = () => this.itineraries.size;

  /** When the next scheduled send is due (Unix ms), Infinity when none is left. */
  nextDueMs(): number {
    return this.pending ? this.pending.due * 1000 : Infinity;
  }

  /** Sends every scheduled send due by `nowMs`; returns the changes they bring to due flights (late bags). */
  async sendDue(nowMs: number): Promise<Change[]> {
    const changes: Change[] = [];
    while (this.pending && this.pending.due * 1000 <= nowMs) {
      const send = this.pending;
      this.pending = this.sends.next().value ?? undefined;
      const sentMs = Date.now();
      if (send.topic === "flights") {
        await this.sendFlights(send.records);
        continue;
      }
      await this.send(this.topics.bags, send.records);
      for (const bag of send.records) {
        this.itineraries.set(bag.id, bag.flights);
        // A bag's itinerary arriving while its first flight is due: that flight's next revision routes it.
        const first = bag.flights[0];
        if (first !== undefined && this.due(first, sentMs / 1000)) {
          changes.push({
            kind: "late_itinerary",
            flight: first,
            sentMs,
            bag: bag.id,
            shows: (entry) => entry.bag === bag.id && entry.departure !== "-1",
          });
        }
      }
    }
    return changes;
  }

  /** Sends the next correction of a due flight (kinds in turn), or undefined when no flight qualifies. */
  async correct(): Promise<Change | undefined> {
    const kind = CORRECTION_KINDS[this.corrections++ % CORRECTION_KINDS.length]!;
    const now = Date.now() / 1000;
    // Due flights at least a minute from landing; a delay must leave them in the window.
    const latest = kind === "delay" ? now + this.windowSeconds - DELAY_SECONDS - 60 : now + this.windowSeconds - 60;
    const candidates = [...this.flights.values()].filter((flight) =>
      !this.corrected.has(flight.id) && flight.arrival_time >= now + 60 && flight.arrival_time <= latest
    );
    // In a seeded random order, the first that has what the kind needs (a connecting bag, for two of them).
    for (let left = candidates.length; left > 0; left--) {
      const index = Math.floor(this.pick() * left);
      const flight = candidates[index]!;
      candidates[index] = candidates[left - 1]!;
      const change = await this.correctFlight(kind, flight);
      if (change) {
        this.corrected.add(flight.id);
        return change;
      }
    }
    return undefined;
  }

  private async correctFlight(kind: typeof CORRECTION_KINDS[number], flight: Flight): Promise<Change | undefined> {
    if (kind === "delay") {
      const arrival = flight.arrival_time + DELAY_SECONDS;
      const sentMs = Date.now();
      await this.sendFlights([{
        ...flight,
        departure_time: flight.departure_time + DELAY_SECONDS,
        arrival_time: arrival,
      }]);
      return { kind, flight: flight.id, sentMs, shows: (entry) => entry.arrival === arrival };
    }
    if (kind === "bag_added") {
      const bag = `BAG_bench-fresh-${this.corrections}`;
      await this.send(this.topics.bags, [{ id: bag, flights: [flight.id] }]);
      this.itineraries.set(bag, [flight.id]);
      const sentMs = Date.now();
      await this.sendFlights([{ ...flight, bags: [...flight.bags, bag] }]);
      return { kind, flight: flight.id, sentMs, bag, shows: (entry) => entry.bag === bag && entry.departure === "0" };
    }
    // A bag of the manifest connecting to a flight already sent.
    const connecting = flight.bags.flatMap((bag) => {
      const itinerary = this.itineraries.get(bag) ?? [];
      const next = itinerary[itinerary.indexOf(flight.id) + 1];
      const nextFlight = itinerary.includes(flight.id) && next !== undefined ? this.flights.get(next) : undefined;
      return nextFlight && !this.corrected.has(nextFlight.id) ? [{ bag, itinerary, nextFlight }] : [];
    });
    const chosen = connecting[Math.floor(this.pick() * connecting.length)];
    if (!chosen) return undefined;
    const { bag, itinerary, nextFlight } = chosen;
    if (kind === "rerouted") {
      const rerouted = itinerary.slice(0, itinerary.indexOf(flight.id) + 1);
      const sentMs = Date.now();
      await this.send(this.topics.bags, [{ id: bag, flights: rerouted }]);
      this.itineraries.set(bag, rerouted);
      return { kind, flight: flight.id, sentMs, bag, shows: (entry) => entry.bag === bag && entry.departure === "0" };
    }
    const departure = nextFlight.departure_time + DEPARTURE_MOVE_SECONDS;
    this.corrected.add(nextFlight.id);
    const sentMs = Date.now();
    await this.sendFlights([{
      ...nextFlight,
      departure_time: departure,
      arrival_time: nextFlight.arrival_time + DEPARTURE_MOVE_SECONDS,
    }]);
    return {
      kind,
      flight: flight.id,
      sentMs,
      bag,
      shows: (entry) => entry.bag === bag && Number(entry.departure) === departure,
    };
  }

  private due(flightId: string, nowSeconds: number): boolean {
    const arrival = this.flights.get(flightId)?.arrival_time;
    return arrival !== undefined && arrival >= nowSeconds && arrival <= nowSeconds + this.windowSeconds;
  }

  private async sendFlights(flights: readonly Flight[]): Promise<void> {
    await this.send(this.topics.flights, flights);
    for (const flight of flights) this.flights.set(flight.id, flight);
  }

  private async send(topic: string, records: readonly (Flight | Bag)[]): Promise<void> {
    const messages = records.map((record) => ({ key: record.id, value: JSON.stringify(record) }));
    for (const group of sendGroups(messages)) await this.producer.send({ topic, acks: -1, messages: group });
  }
}
