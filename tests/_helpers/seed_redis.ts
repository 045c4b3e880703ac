/** Writes flights and bags straight into Redis through the same Lua upserts the consumers use. */
import type { Redis } from "ioredis";
import { createBagStore } from "../../lib/ingest/bag_store.ts";
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { createFlightStore } from "../../lib/ingest/flight_store.ts";

let nextOffset = 0;

/** Upserts `flights` as if consumed from partition 0 of a topic named "seeded-flights". */
export async function seedFlights(redis: Redis, flights: readonly Flight[]): Promise<void> {
  const { store } = await createFlightStore(redis, "seeded-flights");
  const records = flights.map((record) => ({ offset: String(nextOffset++), record }));
  await store({ partition: 0, requiredOffset: -1n, lastOffset: records.at(-1)?.offset ?? "0", records });
}

/** Upserts `bags` as if consumed from partition 0 of a topic named "seeded-bags". */
export async function seedBags(redis: Redis, bags: readonly Bag[]): Promise<void> {
  const { store } = await createBagStore(redis, "seeded-bags");
  const records = bags.map((record) => ({ offset: String(nextOffset++), record }));
  await store({ partition: 0, requiredOffset: -1n, lastOffset: records.at(-1)?.offset ?? "0", records });
}
