/**
 * What the consumers meet in production: the scanner's records of the due flights' bags and connections
 * (work:due_bags:<hour>, work:due_next:<hour>) for the window of now, as large as at the seed's rates (about 170
 * due flights of 300 bags, half of which connect), with 1 in 40 of the bags and flights about to be consumed among
 * them. The bench seeds them before the consumption stages, so that their figures include the lookups, and removes
 * them after.
 */
import type { Redis } from "ioredis";
import { arrivalHour, bagKey, dueBagsKey, dueNextFlightsKey, flightKey } from "../../lib/infra/keys.ts";

const DUE_BAGS = 50_000;
const DUE_NEXT_FLIGHTS = 25_000;
const SHARE = 40;

/** Seeds the records for the flights arriving in the current hour, naming a few of `bagIds` and `flightIds`. */
export async function seedDueRecords(redis: Redis, bagIds: readonly string[], flightIds: readonly string[]) {
  const hour = arrivalHour(Date.now() / 1000);
  const bags = bagIds.filter((_, index) => index % SHARE === 0).map(bagKey);
  for (let i = bags.length; i < DUE_BAGS; i++) bags.push(bagKey(`BAG_bench-due-${i}`));
  for (let start = 0; start < bags.length; start += 10_000) {
    await redis.sadd(dueBagsKey(hour), ...bags.slice(start, start + 10_000));
  }
  const next: string[] = [];
  flightIds.filter((_, index) => index % SHARE === 0).forEach((id) => next.push(flightKey(id), "FL_bench-due"));
  for (let i = next.length / 2; i < DUE_NEXT_FLIGHTS; i++) next.push(flightKey(`FL_bench-next-${i}`), "FL_bench-due");
  for (let start = 0; start < next.length; start += 20_000) {
    await redis.hset(dueNextFlightsKey(hour), ...next.slice(start, start + 20_000));
  }
}

/** Removes what seedDueRecords() wrote. */
export async function removeDueRecords(redis: Redis): Promise<void> {
  const hour = arrivalHour(Date.now() / 1000);
  // The stages may have crossed into the next hour.
  await redis.del(dueBagsKey(hour), dueBagsKey(hour - 1), dueNextFlightsKey(hour), dueNextFlightsKey(hour - 1));
}
