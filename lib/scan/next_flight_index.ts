/**
 * work:next:<id>: for each next flight of published work, the flights with a bag connecting to it, so that a
 * move of its departure marks them for a rescan (see lua/upsert_flights.lua and lua/index_next_flights.lua).
 */
import type { Redis } from "ioredis";
import { workNextKey } from "../infra/keys.ts";
import { scriptsOf } from "../infra/scripts.ts";

/** Next flights per lua/index_next_flights.lua call: a script blocks Redis, so each call stays short. */
const NEXT_FLIGHTS_PER_CALL = 500;

/** A flight's id and the next flights its work names. */
export interface Connections {
  readonly id: string;
  readonly next: Iterable<string | null>;
}

/** Records `flights` under each of their next flights, each set kept `retentionSeconds` after its last addition. */
export async function indexNextFlights(
  redis: Redis,
  flights: Iterable<Connections>,
  retentionSeconds: number,
): Promise<void> {
  const connecting = new Map<string, Set<string>>();
  for (const flight of flights) {
    for (const next of flight.next) {
      if (next !== null) connecting.set(next, (connecting.get(next) ?? new Set()).add(flight.id));
    }
  }
  const entries = [...connecting];
  for (let start = 0; start < entries.length; start += NEXT_FLIGHTS_PER_CALL) {
    const chunk = entries.slice(start, start + NEXT_FLIGHTS_PER_CALL);
    await scriptsOf(redis).index_next_flights.run(
      chunk.map(([next]) => workNextKey(next)),
      [retentionSeconds, ...chunk.map(([, ids]) => [...ids].join(","))],
    );
  }
}
