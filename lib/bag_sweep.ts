/**
 * Deletes the bags that no flight expiry reaches. Expiry deletes a bag when a flight whose manifest lists it
 * expires and its itinerary ends there; a bag whose last flight never arrives, or that no manifest lists,
 * would stay forever. So each scan also sweeps a page of the bag keys (SCAN, its cursor kept in Redis so
 * that replicas and restarts go on where the last sweep stopped) and deletes each bag whose journey is over:
 * none of its flights is stored any more, and at least one of them expired (flight:expired remembers expired
 * flights for another DATA_RETENTION_SECONDS). A bag whose flights are all unknown and none expired (its
 * schedules never came) is kept: nothing tells whether they are still to come.
 */
import type { Redis } from "ioredis";
import { BAG_COUNT, BAG_SWEEP_CURSOR, FLIGHT_ARRIVALS, FLIGHTS_EXPIRED } from "./keys.ts";
import { LuaScript, scriptSource } from "./scripts.ts";

/** Keys SCAN visits a call: enough to keep up, few enough that one call stays well under a millisecond. */
const SCAN_COUNT = 1000;

const deleteScripts = new WeakMap<Redis, LuaScript>();

/** Sweeps about `keysPerScan` keys from where the last sweep stopped; returns the number of bags deleted. */
export async function sweepOrphanBags(redis: Redis, keysPerScan: number): Promise<number> {
  if (keysPerScan === 0) return 0;
  let deleteScript = deleteScripts.get(redis);
  if (!deleteScript) {
    // Loaded on first use by LuaScript.run (NOSCRIPT), like the scan's reads.
    deleteScript = new LuaScript("delete_orphan_bags", scriptSource("delete_orphan_bags"), redis);
    deleteScripts.set(redis, deleteScript);
  }
  let cursor = (await redis.get(BAG_SWEEP_CURSOR)) ?? "0";
  let deleted = 0;
  for (let visited = 0; visited < keysPerScan;) {
    const [next, keys] = await redis.scan(cursor, "MATCH", "bag:id:*", "COUNT", SCAN_COUNT);
    cursor = next;
    visited += SCAN_COUNT;
    if (keys.length > 0) deleted += await deleteOrphans(redis, deleteScript, keys);
    if (cursor === "0") break;
  }
  await redis.set(BAG_SWEEP_CURSOR, cursor);
  return deleted;
}

async function deleteOrphans(redis: Redis, deleteScript: LuaScript, bagKeys: string[]): Promise<number> {
  const replies = await redis.pipeline(bagKeys.map((key) => ["hget", key, "flights"])).exec() ?? [];
  const itineraries = replies.map(([error, value]) => (error ? null : value as string | null));
  const parsed = itineraries.map((text) => {
    try {
      const value = text === null ? null : JSON.parse(text);
      return Array.isArray(value) && value.length > 0 ? value as string[] : null;
    } catch {
      return null;
    }
  });
  const flightIds = [...new Set(parsed.flatMap((flights) => flights ?? []))];
  if (flightIds.length === 0) return 0;
  const [stored, expired] = await Promise.all([
    redis.zmscore(FLIGHT_ARRIVALS, ...flightIds),
    redis.zmscore(FLIGHTS_EXPIRED, ...flightIds),
  ]);
  const isStored = new Set(flightIds.filter((_, index) => stored[index] !== null));
  const hasExpired = new Set(flightIds.filter((_, index) => expired[index] !== null));
  const orphans: { key: string; flights: string }[] = [];
  parsed.forEach((flights, index) => {
    if (!flights || flights.some((id) => isStored.has(id)) || !flights.some((id) => hasExpired.has(id))) return;
    orphans.push({ key: bagKeys[index]!, flights: itineraries[index]! });
  });
  if (orphans.length === 0) return 0;
  return await deleteScript.run(
    [BAG_COUNT, ...orphans.map((orphan) => orphan.key)],
    orphans.map((orphan) => orphan.flights),
  ) as number;
}
