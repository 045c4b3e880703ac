/**
 * The scanner's reads of the aggregate keys (the arrival index, the stored counts) on either topology. On one Redis
 * node each is one key. On a Redis Cluster each is one key per slot (keys.ts slotScope), read with one call per master
 * over the slots it serves (lua/read_arrivals.lua, lua/sum_counters.lua), and the masters' answers are merged.
 */
import { Cluster, type Redis } from "ioredis";
import { callEachNode } from "../infra/cluster_calls.ts";
import { SLOT_COUNT, slotTag } from "../infra/cluster_slots.ts";
import { bagCountKey, FLIGHT_ARRIVALS, flightArrivalsKey, flightCountKey, flightKey } from "../infra/keys.ts";
import { readPerNode } from "../infra/node_calls.ts";
import type { RedisClient } from "../infra/redis.ts";
import { scriptsOf } from "../infra/scripts.ts";

const EVERY_SLOT = Array.from({ length: SLOT_COUNT }, (_, slot) => slot);
const scopeOfSlot = (slot: number) => `:{${slotTag(slot)}}`;

/** Calls `read` once per master with the keys `keyOfScope` names for each slot it serves. */
function readEverySlot<R>(
  cluster: Cluster,
  keyOfScope: (scope: string) => string,
  read: (node: Redis, keys: string[]) => Promise<R>,
): Promise<R[]> {
  const keyOf = (slot: number) => keyOfScope(scopeOfSlot(slot));
  return callEachNode(cluster, EVERY_SLOT, keyOf, (part) => read(part.node, part.items.map(keyOf)));
}

/**
 * The ids of the flights arriving between `min` and `max` (ZRANGEBYSCORE bounds: a number, "-inf", "(123"), ordered by
 * arrival, then id, as one sorted set orders them; the first `limit` of them when given.
 */
export async function flightsArrivingBetween(
  redis: RedisClient,
  min: number | string,
  max: number | string,
  limit?: number,
): Promise<string[]> {
  if (!(redis instanceof Cluster)) {
    return limit === undefined
      ? await redis.zrangebyscore(FLIGHT_ARRIVALS, min, max)
      : await redis.zrangebyscore(FLIGHT_ARRIVALS, min, max, "LIMIT", 0, limit);
  }
  const answers = await readEverySlot(
    redis,
    flightArrivalsKey,
    async (node, keys) => await scriptsOf(node).read_arrivals.run([], [min, max, limit ?? -1, ...keys]) as string[],
  );
  const entries: { id: string; arrival: number }[] = [];
  for (const answer of answers) {
    for (let i = 0; i < answer.length; i += 2) entries.push({ id: answer[i]!, arrival: Number(answer[i + 1]) });
  }
  entries.sort((a, b) => a.arrival - b.arrival || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return entries.slice(0, limit).map((entry) => entry.id);
}

/** The earliest arrival after `after` (exclusive) in the index, undefined when none is. */
export async function firstArrivalAfter(redis: RedisClient, after: number): Promise<number | undefined> {
  if (!(redis instanceof Cluster)) {
    const [, arrival] = await redis.zrangebyscore(FLIGHT_ARRIVALS, `(${after}`, "+inf", "WITHSCORES", "LIMIT", 0, 1);
    return arrival === undefined ? undefined : Number(arrival);
  }
  const answers = await readEverySlot(
    redis,
    flightArrivalsKey,
    async (node, keys) => await scriptsOf(node).read_arrivals.run([], [`(${after}`, "+inf", 1, ...keys]) as string[],
  );
  let earliest: number | undefined;
  for (const answer of answers) {
    for (let i = 1; i < answer.length; i += 2) earliest = Math.min(earliest ?? Infinity, Number(answer[i]));
  }
  return earliest;
}

/** The arrival of each flight in the index, null for one not in it, in `flightIds`' order. */
export function arrivalsOf(redis: RedisClient, flightIds: readonly string[]): Promise<(number | null)[]> {
  return readPerNode(redis, flightIds, flightKey, async ({ node, items, scopes }) => {
    const pipeline = node.pipeline();
    items.forEach((id, index) => pipeline.zscore(flightArrivalsKey(scopes[index]), id));
    return ((await pipeline.exec()) ?? []).map(([error, arrival]) => {
      if (error) throw error;
      return arrival === null ? null : Number(arrival);
    });
  });
}

/** The stored flights and bags: the counters, summed over the slots on a cluster. */
export async function storedCounts(redis: RedisClient): Promise<{ flights: number; bags: number }> {
  if (!(redis instanceof Cluster)) {
    const [flights, bags] = await redis.mget(flightCountKey(), bagCountKey());
    return { flights: Number(flights ?? 0), bags: Number(bags ?? 0) };
  }
  const sum = async (keyOfScope: (scope: string) => string) => {
    const parts = await readEverySlot(
      redis,
      keyOfScope,
      async (node, keys) => Number(await scriptsOf(node).sum_counters.run([], keys)),
    );
    return parts.reduce((total, part) => total + part, 0);
  };
  const [flights, bags] = await Promise.all([sum(flightCountKey), sum(bagCountKey)]);
  return { flights, bags };
}
