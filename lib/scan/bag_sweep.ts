/**
 * Deletes the bags that no flight expiry reaches. Expiry deletes a bag when a flight whose manifest lists it
 * expires and its itinerary ends there; a bag whose last flight never arrives, or that no manifest lists,
 * would stay forever. So each scan also sweeps a page of the bag keys (SCAN, its cursor kept in Redis so
 * that replicas and restarts go on where the last sweep stopped) and deletes each bag whose journey is over:
 * none of its flights is stored any more, and at least one of them expired (flight:expired remembers expired
 * flights for another DATA_RETENTION_SECONDS). A bag whose flights are all unknown and none expired, or whose
 * itinerary is empty, may still be waiting for its schedules: the sweep notes when it first saw it so (in
 * bag:unresolved) and deletes it once that lasted longer than any schedule may be sent ahead
 * (MAX_FUTURE_SECONDS) plus DATA_RETENTION_SECONDS. On a Redis Cluster each master's bags are swept from the master's
 * own cursor (SCAN visits one node's keys), and the records live per slot, beside the bags and flights they name.
 */
import { Cluster, type Redis } from "ioredis";
import { splitByNode } from "../infra/cluster_calls.ts";
import { bagKey, bagsUnresolvedKey, bagSweepCursorKey, flightKey, flightsExpiredKey } from "../infra/keys.ts";
import { callPerNode, readPerNode } from "../infra/node_calls.ts";
import type { RedisClient } from "../infra/redis.ts";
import { scriptsOf } from "../infra/scripts.ts";
import { arrivalsOf } from "./slot_aggregates.ts";

/** Keys SCAN visits a call: enough to keep up, few enough that one call stays well under a millisecond. */
const SCAN_COUNT = 1000;

/** How long the sweep keeps a bag whose journey it cannot tell, and when the sweep runs. */
export interface SweepOptions {
  /** Keys visited per sweep, on each master of a cluster. */
  readonly keysPerScan: number;
  readonly unresolvedSeconds: number;
  readonly nowSeconds: number;
}

/** Sweeps about `keysPerScan` keys (of each master) from where the last sweep stopped; returns the bags deleted. */
export async function sweepOrphanBags(redis: RedisClient, options: SweepOptions): Promise<number> {
  if (options.keysPerScan === 0) return 0;
  const nodes = redis instanceof Cluster
    ? splitByNode(redis, [], String, true).map((part) => ({
      node: part.node,
      cursor: bagSweepCursorKey(`:{${part.tag}}`),
    }))
    : [{ node: redis, cursor: bagSweepCursorKey() }];
  let deleted = 0;
  for (const { node, cursor } of nodes) deleted += await sweepNode(redis, node, cursor, options);
  return deleted;
}

async function sweepNode(redis: RedisClient, node: Redis, cursorKey: string, options: SweepOptions): Promise<number> {
  let cursor = (await node.get(cursorKey)) ?? "0";
  let deleted = 0;
  for (let visited = 0; visited < options.keysPerScan;) {
    const [next, keys] = await node.scan(cursor, "MATCH", bagKey("*"), "COUNT", SCAN_COUNT);
    cursor = next;
    visited += SCAN_COUNT;
    if (keys.length > 0) deleted += await deleteOrphans(redis, node, keys, options);
    if (cursor === "0") break;
  }
  await node.set(cursorKey, cursor);
  return deleted;
}

/** The replies of a pipeline of `node` with one command per item; throws the first error. */
async function pipelined<T>(
  node: Redis,
  items: readonly T[],
  add: (pipeline: Pipeline, item: T, index: number) => void,
) {
  const pipeline = node.pipeline();
  items.forEach((item, index) => add(pipeline, item, index));
  return ((await pipeline.exec()) ?? []).map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
type Pipeline = ReturnType<Redis["pipeline"]>;

async function deleteOrphans(
  redis: RedisClient,
  node: Redis,
  bagKeys: string[],
  { nowSeconds, unresolvedSeconds }: SweepOptions,
): Promise<number> {
  // A key SCAN gave may have moved to another node since (a resharding): it reads as missing, and is left alone.
  const replies = await node.pipeline(bagKeys.map((key) => ["hget", key, "flights"])).exec() ?? [];
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
    arrivalsOf(redis, flightIds),
    readPerNode(
      redis,
      flightIds,
      flightKey,
      ({ node, items, scopes }) =>
        pipelined(node, items, (pipeline, id, index) => pipeline.zscore(flightsExpiredKey(scopes[index]), id)),
    ),
    readPerNode(
      redis,
      bagKeys,
      (key) => key,
      ({ node, items, scopes }) =>
        pipelined(node, items, (pipeline, key, index) => pipeline.zscore(bagsUnresolvedKey(scopes[index]), key)),
    ),
  ]);
  const isStored = new Set(flightIds.filter((_, index) => stored[index] !== null));
  const hasExpired = new Set(flightIds.filter((_, index) => expired[index] !== null));
  const orphans: { key: string; flights: string }[] = [];
  const notes: { key: string; note: "unresolved" | "resolved" | "kept" }[] = [];
  parsed.forEach((flights, index) => {
    const key = bagKeys[index]!;
    const notedAt = noted[index] ?? null;
    if (!flights) return;
    if (flights.some((id) => isStored.has(id))) {
      if (notedAt !== null) notes.push({ key, note: "resolved" });
    } else if (flights.some((id) => hasExpired.has(id))) {
      orphans.push({ key, flights: itineraries[index]! });
    } else if (notedAt === null) {
      notes.push({ key, note: "unresolved" });
    } else if (Number(notedAt) < nowSeconds - unresolvedSeconds) {
      orphans.push({ key, flights: itineraries[index]! });
    } else {
      notes.push({ key, note: "kept" });
    }
  });
  // The notes of each set touched. Expiry deletes a bag's note with the bag; a note left behind all the same (a bag
  // deleted otherwise) is forgotten well after any sweep pass would have seen its bag.
  const forgetBefore = `(${nowSeconds - 2 * unresolvedSeconds}`;
  await callPerNode(
    redis,
    notes,
    (entry) => entry.key,
    ({ node, items, scopes }) =>
      pipelined(node, items, (pipeline, { key, note }, index) => {
        const set = bagsUnresolvedKey(scopes[index]);
        if (note === "unresolved") pipeline.zadd(set, "NX", nowSeconds, key);
        else if (note === "resolved") pipeline.zrem(set, key);
        pipeline.zremrangebyscore(set, "-inf", forgetBefore);
      }),
  );
  const deleted = await callPerNode(redis, orphans, (orphan) => orphan.key, async ({ node, items, scopes }) => {
    const args = items.flatMap((orphan, index) => [orphan.key, orphan.flights, scopes[index]!]);
    return await scriptsOf(node).delete_orphan_bags.run([], args) as number;
  });
  return deleted.reduce((total, count) => total + count, 0);
}
