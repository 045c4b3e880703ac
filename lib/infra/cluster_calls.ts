/**
 * One call per Redis Cluster master for the items whose keys it serves (docs/design/redis-cluster.md): a batch is
 * split by the node serving each item's key, from the client's slot map, and each node's part goes to that node in one
 * call. Redis requires a script's declared keys (KEYS) to share one slot; a script flagged allow-cross-slot-keys may
 * then read and write other keys of the same node, so a part's script declares its node's record key (on the node's
 * lowest slot, `{<tag>}`) and takes the items' keys as arguments. Such a script first reads every key it will write
 * with `redis.pcall` and, when one is not served by this node, writes nothing and answers `NOTLOCAL <key>`.
 *
 * A call answered `MOVED` (a slot moved), `ASK` or `TRYAGAIN` (a slot moving), `NOTLOCAL`, or Redis' own "non local
 * key" error refreshes the slot map and sends that node's items again, split anew; the parts that succeeded are not
 * sent again. Any other failure is thrown: the caller retries what can heal, and the calls' own exactly-once records
 * make a part applied before its reply was lost a no-op.
 */
import { type Cluster, type Redis, ReplyError } from "ioredis";
import { keySlot, SLOT_COUNT, slotTag } from "./cluster_slots.ts";
import { ClusterUnsettled } from "./errors.ts";
import { delay } from "./poll.ts";

/** One master's share of a batch. */
export interface NodePart<T> {
  /** The master's connection. */
  readonly node: Redis;
  /** `host:port` of the master. */
  readonly address: string;
  /** The lowest slot the master serves. */
  readonly slot: number;
  /** The tag of `slot`: `{<tag>}` names a key of this node (its exactly-once records). */
  readonly tag: string;
  readonly items: T[];
}

export interface CallEachNodeOptions {
  /** Whether every master gets a call, with no items when none of the batch's keys is on it. */
  readonly everyNode?: boolean;
  /** How many times a node's items are sent again after a redirection before giving up (default 100). */
  readonly maxRedirections?: number;
}

/** The error code of a part's script that met a key this node does not serve (it wrote nothing). */
export const NOT_LOCAL = "NOTLOCAL";
const REDIRECTIONS = new Set(["MOVED", "ASK", "TRYAGAIN", NOT_LOCAL]);

/** Whether `error` says a key's slot is served elsewhere or being moved. */
export function isRedirection(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return false;
  const message = String((error as Error).message);
  return REDIRECTIONS.has(message.split(" ", 1)[0]!) || message.includes("non local key");
}

/** Refreshes the client's slot map from the cluster. */
export function refreshSlotMap(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => cluster.refreshSlotsCache((error) => error ? reject(error) : resolve()));
}

/** The masters by address, with the lowest slot each serves, from the client's slot map. */
function masters(cluster: Cluster): Map<string, { node: Redis; lowestSlot: number }> {
  const byAddress = new Map<string, { node: Redis; lowestSlot: number }>();
  const connections = new Map(
    cluster.nodes("master").map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const address = cluster.slots[slot]?.[0];
    if (address === undefined || byAddress.has(address)) continue;
    const node = connections.get(address);
    if (node) byAddress.set(address, { node, lowestSlot: slot });
  }
  return byAddress;
}

/** Splits `items` by the master serving `keyOf(item)`, in their order; every master when `everyNode`. */
export function splitByNode<T>(
  cluster: Cluster,
  items: readonly T[],
  keyOf: (item: T) => string,
  everyNode = false,
): NodePart<T>[] {
  const byAddress = masters(cluster);
  const parts = new Map<string, NodePart<T>>();
  const partOf = (address: string) => {
    let part = parts.get(address);
    if (!part) {
      const master = byAddress.get(address);
      if (!master) throw new ClusterUnsettled(`no known master at ${address}`);
      part = { node: master.node, address, slot: master.lowestSlot, tag: slotTag(master.lowestSlot), items: [] };
      parts.set(address, part);
    }
    return part;
  };
  if (everyNode) { for (const address of byAddress.keys()) partOf(address); }
  for (const item of items) {
    const address = cluster.slots[keySlot(keyOf(item))]?.[0];
    if (address === undefined) throw new ClusterUnsettled(`the slot of ${keyOf(item)} is not served`);
    partOf(address).items.push(item);
  }
  return [...parts.values()];
}

/**
 * Calls `call` once per master with its part of `items`, in parallel; returns the results of every call made, the
 * redirected ones' retries included, in no set order.
 */
export async function callEachNode<T, R>(
  cluster: Cluster,
  items: readonly T[],
  keyOf: (item: T) => string,
  call: (part: NodePart<T>) => Promise<R>,
  options: CallEachNodeOptions = {},
): Promise<R[]> {
  const maxRedirections = options.maxRedirections ?? 100;
  const results: R[] = [];
  let pending = splitByNode(cluster, items, keyOf, options.everyNode ?? false);
  for (let redirections = 0;; redirections++) {
    const settled = await Promise.allSettled(pending.map(call));
    const redirected: NodePart<T>[] = [];
    let lastRedirection: unknown;
    settled.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") results.push(outcome.value);
      else if (isRedirection(outcome.reason)) {
        redirected.push(pending[i]!);
        lastRedirection = outcome.reason;
      }
    });
    const failed = settled.find((outcome) => outcome.status === "rejected" && !isRedirection(outcome.reason));
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (redirected.length === 0) return results;
    if (redirections >= maxRedirections) {
      throw new ClusterUnsettled(`redirected ${redirections} times; last: ${(lastRedirection as Error).message}`);
    }
    // A slot in migration answers ASK until it has moved: give the migration a moment before asking again.
    if (redirections > 0) await delay(Math.min(200, 10 * redirections));
    await refreshSlotMap(cluster);
    pending = redirected.flatMap((part) =>
      part.items.length > 0 ? splitByNode(cluster, part.items, keyOf) : [recordsPart(cluster, part)]
    );
  }
}

/**
 * Where a part with no items (its node's records only) goes after a redirection: the same master with its lowest slot
 * now, or, when that address is no master any more (a failover), the master now serving the part's slot.
 */
function recordsPart<T>(cluster: Cluster, part: NodePart<T>): NodePart<T> {
  const byAddress = masters(cluster);
  const address = byAddress.has(part.address) ? part.address : cluster.slots[part.slot]?.[0];
  const master = address === undefined ? undefined : byAddress.get(address);
  if (!master || address === undefined) throw new ClusterUnsettled(`slot ${part.slot} is not served`);
  return { node: master.node, address, slot: master.lowestSlot, tag: slotTag(master.lowestSlot), items: [] };
}
