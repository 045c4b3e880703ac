/** Builds arriving_flight_work messages for bridge and reader tests. */
import type { FlightWork } from "../../lib/domain/work.ts";

const T = 1_800_000_000;

/** `flights` work messages of `bagsPerFlight` bags each, revision 1, with a mix of codes and departures. */
export function workMessages(flights: number, bagsPerFlight: number, revision = 1): FlightWork[] {
  return Array.from({ length: flights }, (_, f) => {
    const bags: Record<string, number> = {};
    const next: Record<string, string | null> = {};
    for (let b = 0; b < bagsPerFlight; b++) {
      const bag = `BAG_${f}_${b}`;
      const connects = b % 4 === 0;
      bags[bag] = connects ? T + 7200 + b : [0, -1, -3][b % 3]!;
      next[bag] = connects ? `FL_NEXT_${b}` : null;
    }
    return {
      id: `FL_${f}`,
      arrival_time: T + f,
      bags,
      next_flights: next,
      revision,
      scanned_at: T - 60 + f / 1000,
      removed_bags: [],
    };
  });
}

/** The identity of a stream entry: flight, bag and revision. */
export const entryIdentity = (fields: { flight_id: string; bag_id: string; revision: number }) =>
  `${fields.flight_id}/${fields.bag_id}#${fields.revision}`;
