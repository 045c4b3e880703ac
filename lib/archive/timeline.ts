/**
 * A bag's or a flight's history as a timeline for a person at a terminal: one line per event, in time
 * order, times in UTC; what `deno task history` prints.
 */
import { BagCode } from "../domain/work.ts";
import type { BagHistory, FlightHistory } from "./history.ts";

/** ISO 8601 in UTC, without milliseconds when there are none. */
const utc = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
const CODE_TEXT: Record<number, string> = {
  [BagCode.FinalDestination]: "final destination",
  [BagCode.ItineraryUnknown]: "itinerary unknown",
  [BagCode.NoFlights]: "no flights",
  [BagCode.NextFlightUnknown]: "next flight unknown",
  [BagCode.FlightNotInItinerary]: "flight not in the itinerary",
};

/** What a bag's departure_time says, in words. */
export function routingText(departure: number | null, nextFlight: string | null): string {
  if (departure === null) return "removed from the flight's work";
  if (departure > 0) return `next ${nextFlight ?? "?"} departing ${utc(departure)}`;
  return CODE_TEXT[departure] ?? `code ${departure}`;
}

interface Line {
  /** When it happened, in ms. */
  readonly ms: number;
  readonly text: string;
}

/** `title`, then one line per event in time order (a stable sort keeps the archive's order for equal times). */
const render = (title: string, lines: Line[]) =>
  [title, ...lines.sort((a, b) => a.ms - b.ms).map((l) => `  ${utc(l.ms / 1000)}  ${l.text}`)].join("\n");

/** The timeline of a bag. */
export function bagTimeline(history: BagHistory): string {
  const lines: Line[] = [
    ...history.itineraries.map((version) => ({
      ms: Date.parse(version.at),
      text: version.message?.endsWith(" DEL")
        ? `deleted (${version.message})`
        : `itinerary ${version.flights.length === 0 ? "(no flights)" : version.flights.join(" > ")}${
          version.message === undefined ? "" : ` (${version.message})`
        }`,
    })),
    ...history.work.map((work) => ({
      ms: work.scanned_at * 1000,
      text: `arriving on ${work.flight_id} at ${utc(work.arrival_time)} (revision ${work.revision}): ${
        routingText(work.departure_time, work.next_flight_id)
      }${work.exceptions === undefined ? "" : ` [${work.exceptions.join(", ")}]`}`,
    })),
    ...(history.events ?? []).map((event) => ({
      ms: Date.parse(event.event_at ?? event.at),
      text: `${event.message}: ${event.what}${event.flight_id === null ? "" : ` for ${event.flight_id}`}${
        event.location === null ? "" : ` at ${event.location}`
      }`,
    })),
  ];
  return render(`bag ${history.id}`, lines);
}

/** The timeline of a flight. */
export function flightTimeline(history: FlightHistory): string {
  const lines: Line[] = [
    ...history.versions.map((version) => ({
      ms: Date.parse(version.at),
      text: `schedule ${utc(version.departure_time)} > ${utc(version.arrival_time)}, ${
        version.bags === null ? "manifest unchanged" : `${version.bags.length} bags`
      }`,
    })),
    ...history.work.map((revision) => {
      const bags = Object.values(revision.bags);
      const transfers = bags.filter((value) => value > 0).length;
      const removed = revision.removed_bags.length === 0 ? "" : `, ${revision.removed_bags.length} removed`;
      return {
        ms: revision.scanned_at * 1000,
        text: `work revision ${revision.revision} for arrival ${utc(revision.arrival_time)}: ${bags.length} bags, ` +
          `${transfers} transferring${removed}`,
      };
    }),
  ];
  return render(`flight ${history.id}`, lines);
}
