/** Writes flights and bags straight into Redis through the same Lua upserts the consumers use. */
import type { Redis } from "ioredis";
import { createBagStore } from "../../lib/ingest/bag_store.ts";
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { createFlightStore } from "../../lib/ingest/flight_store.ts";
import { systemClock } from "../../lib/infra/clock.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { markWindowOf } from "../../lib/ingest/mark_window.ts";

/** The marks of the default scan window (what a consumer with no SCAN_* variables leaves). */
const WINDOW = markWindowOf(loadConfig("flight-consumer", {}), systemClock);

let nextOffset = 0;

/** Upserts `flights` as if consumed from partition 0 of a topic named "seeded-flights". */
export async function seedFlights(redis: Redis, flights: readonly Flight[]): Promise<void> {
  const { store } = await createFlightStore(redis, "seeded-flights", WINDOW);
  const records = flights.map((record) => ({ offset: String(nextOffset++), record }));
  await store({ partition: 0, requiredOffset: -1n, lastOffset: records.at(-1)?.offset ?? "0", records });
}

/** Upserts `bags` as if consumed from partition 0 of a topic named "seeded-bags". */
export async function seedBags(redis: Redis, bags: readonly Bag[]): Promise<void> {
  const { store } = await createBagStore(redis, "seeded-bags", WINDOW);
  const records = bags.map((record) => ({ offset: String(nextOffset++), record }));
  await store({ partition: 0, requiredOffset: -1n, lastOffset: records.at(-1)?.offset ?? "0", records });
}
