/**
 * A bag's or a flight's history as a timeline for a person at a terminal: one line per event, in time
 * order, times in UTC; what `deno task history` prints.
 */
import { BagCode } from "../domain/work.ts";
import type { BagHistory, FlightHistory } from "./history.ts";

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
  readonly at: string;
  readonly text: string;
}

const render = (title: string, lines: Line[]) =>
  [title, ...lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((l) => `  ${l.at}  ${l.text}`)]
    .join("\n");

/** The timeline of a bag. */
export function bagTimeline(history: BagHistory): string {
  const lines: Line[] = [
    ...history.itineraries.map((version) => ({
      at: version.at.replace(".000Z", "Z"),
      text: `itinerary ${version.flights.length === 0 ? "(no flights)" : version.flights.join(" > ")}`,
    })),
    ...history.work.map((work) => ({
      at: utc(work.scanned_at),
      text: `arriving on ${work.flight_id} at ${utc(work.arrival_time)} (revision ${work.revision}): ${
        routingText(work.departure_time, work.next_flight_id)
      }`,
    })),
  ];
  return render(`bag ${history.id}`, lines);
}

/** The timeline of a flight. */
export function flightTimeline(history: FlightHistory): string {
  const lines: Line[] = [
    ...history.versions.map((version) => ({
      at: version.at.replace(".000Z", "Z"),
      text: `schedule ${utc(version.departure_time)} > ${utc(version.arrival_time)}, ${version.bags.length} bags`,
    })),
    ...history.work.map((revision) => {
      const bags = Object.values(revision.bags);
      const transfers = bags.filter((value) => value > 0).length;
      const removed = revision.removed_bags.length === 0 ? "" : `, ${revision.removed_bags.length} removed`;
      return {
        at: utc(revision.scanned_at),
        text: `work revision ${revision.revision} for arrival ${utc(revision.arrival_time)}: ${bags.length} bags, ` +
          `${transfers} transferring${removed}`,
      };
    }),
  ];
  return render(`flight ${history.id}`, lines);
}
