/**
 * Calls sent to the node that serves each item's key, on either topology: on one Redis node, one call with every item
 * (each in the scope "", the aggregates' plain names); on a Redis Cluster, one call per master with the items whose
 * keys it serves, each in its slot's scope (keys.ts slotScope), redirected as cluster_calls.ts does.
 */
import { Cluster, type Redis } from "ioredis";
import { callEachNode } from "./cluster_calls.ts";
import { slotScope } from "./keys.ts";
import type { RedisClient } from "./redis.ts";

/** One node's share of a batch. */
export interface NodeShare<T> {
  /** The connection to the node (the one Redis, or a master). */
  readonly node: Redis;
  readonly items: readonly T[];
  /** Each item's scope, in `items`' order. */
  readonly scopes: readonly string[];
}

/** Calls `call` once per node with its share of `items` (none when `items` is empty); returns every call's result. */
export async function callPerNode<T, R>(
  redis: RedisClient,
  items: readonly T[],
  keyOf: (item: T) => string,
  call: (share: NodeShare<T>) => Promise<R>,
): Promise<R[]> {
  if (items.length === 0) return [];
  if (!(redis instanceof Cluster)) return [await call({ node: redis, items, scopes: items.map(() => "") })];
  return await callEachNode(
    redis,
    items,
    keyOf,
    (part) =>
      call({ node: part.node, items: part.items, scopes: part.items.map((item) => slotScope(keyOf(item), true)) }),
  );
}

/**
 * Reads one value per item from the node serving its key: `read` answers for a share's items in their order, and the
 * values come back in `items`' order.
 */
export async function readPerNode<T, V>(
  redis: RedisClient,
  items: readonly T[],
  keyOf: (item: T) => string,
  read: (share: NodeShare<T>) => Promise<readonly V[]>,
): Promise<V[]> {
  if (!(redis instanceof Cluster)) {
    return items.length === 0 ? [] : [...await read({ node: redis, items, scopes: items.map(() => "") })];
  }
  const values = new Array<V>(items.length);
  const indexed = items.map((item, index) => ({ item, index }));
  await callPerNode(redis, indexed, ({ item }) => keyOf(item), async ({ node, items: share, scopes }) => {
    const answers = await read({ node, items: share.map(({ item }) => item), scopes });
    share.forEach(({ index }, position) => (values[index] = answers[position]!));
  });
  return values;
}
