/**
 * Deletes the bags that no flight expiry reaches. Expiry deletes a bag when a flight whose manifest lists it
 * expires and its itinerary ends there; a bag whose last flight never arrives, or that no manifest lists,
 * would stay forever. So each scan also sweeps a page of the bag keys (SCAN, its cursor kept in Redis so
 * that replicas and restarts go on where the last sweep stopped) and deletes each bag whose journey is over:
 * none of its flights is stored any more, and at least one of them expired (flight:expired remembers expired
 * flights for another DATA_RETENTION_SECONDS). A bag whose flights are all unknown and none expired, or whose
 * itinerary is empty, may still be waiting for its schedules: the sweep notes when it first saw it so (in
 * bag:unresolved) and deletes it once that lasted longer than any schedule may be sent ahead
 * (MAX_FUTURE_SECONDS) plus DATA_RETENTION_SECONDS.
 */
import type { Redis } from "ioredis";
import { BAG_COUNT, BAG_SWEEP_CURSOR, BAGS_UNRESOLVED, FLIGHT_ARRIVALS, FLIGHTS_EXPIRED } from "../infra/keys.ts";
import { scriptsOf } from "../infra/scripts.ts";

/** Keys SCAN visits a call: enough to keep up, few enough that one call stays well under a millisecond. */
const SCAN_COUNT = 1000;

/** How long the sweep keeps a bag whose journey it cannot tell, and when the sweep runs. */
export interface SweepOptions {
  readonly keysPerScan: number;
  readonly unresolvedSeconds: number;
  readonly nowSeconds: number;
}

/** Sweeps about `keysPerScan` keys from where the last sweep stopped; returns the number of bags deleted. */
export async function sweepOrphanBags(redis: Redis, options: SweepOptions): Promise<number> {
  const { keysPerScan } = options;
  if (keysPerScan === 0) return 0;
  let cursor = (await redis.get(BAG_SWEEP_CURSOR)) ?? "0";
  let deleted = 0;
  for (let visited = 0; visited < keysPerScan;) {
    const [next, keys] = await redis.scan(cursor, "MATCH", "bag:id:*", "COUNT", SCAN_COUNT);
    cursor = next;
    visited += SCAN_COUNT;
    if (keys.length > 0) deleted += await deleteOrphans(redis, keys, options);
    if (cursor === "0") break;
  }
  await redis.set(BAG_SWEEP_CURSOR, cursor);
  // Bags deleted by expiry meanwhile leave their note behind: forgotten well after any sweep pass would have seen them.
  await redis.zremrangebyscore(BAGS_UNRESOLVED, "-inf", `(${options.nowSeconds - 2 * options.unresolvedSeconds}`);
  return deleted;
}

async function deleteOrphans(
  redis: Redis,
  bagKeys: string[],
  { nowSeconds, unresolvedSeconds }: SweepOptions,
): Promise<number> {
  const replies = await redis.pipeline(bagKeys.map((key) => ["hget", key, "flights"])).exec() ?? [];
  const itineraries = replies.map(([error, value]) => (error ? null : value as string | null));
  const parsed = itineraries.map((text) => {
    try {
      const value = text === null ? null : JSON.parse(text);
      return Array.isArray(value) ? value as string[] : null;
    } catch {
      return null;
    }
  });
  const flightIds = [...new Set(parsed.flatMap((flights) => flights ?? []))];
  const [stored, expired, noted] = await Promise.all([
    flightIds.length > 0 ? redis.zmscore(FLIGHT_ARRIVALS, ...flightIds) : [],
    flightIds.length > 0 ? redis.zmscore(FLIGHTS_EXPIRED, ...flightIds) : [],
    redis.zmscore(BAGS_UNRESOLVED, ...bagKeys),
  ]);
  const isStored = new Set(flightIds.filter((_, index) => stored[index] !== null));
  const hasExpired = new Set(flightIds.filter((_, index) => expired[index] !== null));
  const orphans: { key: string; flights: string }[] = [];
  const unresolved: string[] = [];
  const resolved: string[] = [];
  parsed.forEach((flights, index) => {
    const key = bagKeys[index]!;
    const notedAt = noted[index] ?? null;
    if (!flights) return;
    if (flights.some((id) => isStored.has(id))) {
      if (notedAt !== null) resolved.push(key);
    } else if (flights.some((id) => hasExpired.has(id))) {
      orphans.push({ key, flights: itineraries[index]! });
    } else if (notedAt === null) {
      unresolved.push(key);
    } else if (Number(notedAt) < nowSeconds - unresolvedSeconds) {
      orphans.push({ key, flights: itineraries[index]! });
    }
  });
  if (unresolved.length > 0) await redis.zadd(BAGS_UNRESOLVED, "NX", ...unresolved.flatMap((key) => [nowSeconds, key]));
  if (resolved.length > 0) await redis.zrem(BAGS_UNRESOLVED, ...resolved);
  if (orphans.length === 0) return 0;
  return await scriptsOf(redis).delete_orphan_bags.run(
    [BAG_COUNT, BAGS_UNRESOLVED, ...orphans.map((orphan) => orphan.key)],
    orphans.map((orphan) => orphan.flights),
  ) as number;
}
