/**
 * The exactly-once records of an input topic on a Redis Cluster (docs/design/redis-cluster.md): each master keeps its
 * own, `offsets:<topic>:{<tag of its lowest slot>}` (partition -> last offset applied on that master), written by the
 * call every chunk makes on every master. A master whose record is below what is known to be stored lost writes (its
 * replica took over without them, or it restarted from an older AOF): the partition is replayed from the lowest record,
 * and the masters that recorded more skip what they hold.
 *
 * A resharding that moves a master's lowest slot moves its record with the slot, and the master's next lowest slot has
 * no record yet. That is not a loss: the master holds data of the topic (`dataPattern`, the aggregates every call that
 * stores an item writes with the record, in one atomic call replicated as one), so it lost no record, it gave it away.
 * It inherits the lowest record of the others for the partition: its own is one of them, wherever the slot took it, so
 * the inherited one is never above it (at worst a partition replays a little more, which the records make harmless).
 * A master without a record and without data lost everything, and its record reads as none.
 * A record left "displaced" (its tag is no master's lowest slot now) is deleted once every master has its own record of
 * each partition it holds: no master can need it any more.
 */
import type { Cluster, Redis } from "ioredis";
import { type NodePart, splitByNode } from "../infra/cluster_calls.ts";
import { nodeOffsetsKey } from "../infra/keys.ts";

export class NodeRecords {
  /**
   * @param topic the input topic whose records these are
   * @param dataPattern a SCAN pattern of keys that only a master holding data of the topic has (`bag:count:{*}`)
   */
  constructor(
    private readonly cluster: Cluster,
    private readonly topic: string,
    private readonly dataPattern: string,
  ) {}

  /** The record key of the master whose lowest slot has `tag`. */
  keyOf(tag: string): string {
    return nodeOffsetsKey(this.topic, tag);
  }

  /** The lowest record of the masters for `partition`, -1n when a master has none (after inheriting what it can). */
  async lowest(partition: number): Promise<bigint> {
    let lowest: bigint | undefined;
    for (const { tag } of splitByNode(this.cluster, [], String, true)) {
      let recorded = await this.cluster.hget(this.keyOf(tag), String(partition));
      if (recorded === null && await this.inherit(tag, partition)) {
        recorded = await this.cluster.hget(this.keyOf(tag), String(partition));
      }
      const offset = recorded === null ? -1n : BigInt(recorded);
      if (lowest === undefined || offset < lowest) lowest = offset;
    }
    return lowest ?? -1n;
  }

  /**
   * Gives the master whose lowest slot has `tag`, which has no record for `partition`, the record a resharding moved
   * away (see above); returns whether it got one.
   */
  async inherit(tag: string, partition: number): Promise<boolean> {
    const field = String(partition);
    const masters = splitByNode(this.cluster, [], String, true);
    const master = masters.find((candidate) => candidate.tag === tag);
    if (!master || (await keysOf(master.node, this.dataPattern, 1)).length === 0) return false;
    const records = await this.allRecords(masters);
    const others = [...records].filter(([key]) => key !== this.keyOf(tag)).flatMap(([, entries]) => {
      const recorded = entries[field];
      return recorded === undefined ? [] : [BigInt(recorded)];
    });
    if (others.length === 0) return false;
    const lowest = others.reduce((low, offset) => offset < low ? offset : low);
    // HSETNX: a record the master wrote meanwhile is its own, and stays.
    await this.cluster.hsetnx(this.keyOf(tag), field, lowest.toString());
    await this.deleteDisplaced(masters, records);
    return true;
  }

  /** Every record of the topic on every master, by key. */
  private async allRecords(masters: readonly NodePart<unknown>[]): Promise<Map<string, Record<string, string>>> {
    const keys = (await Promise.all(masters.map((master) => keysOf(master.node, this.keyOf("*"))))).flat();
    return new Map(await Promise.all(keys.map(async (key) => [key, await this.cluster.hgetall(key)] as const)));
  }

  /** Deletes the displaced records whose every partition each master now records itself. */
  private async deleteDisplaced(
    masters: readonly NodePart<unknown>[],
    records: Map<string, Record<string, string>>,
  ): Promise<void> {
    const own = await Promise.all(masters.map((master) => this.cluster.hgetall(this.keyOf(master.tag))));
    const masterKeys = new Set(masters.map((master) => this.keyOf(master.tag)));
    for (const [key, entries] of records) {
      if (masterKeys.has(key)) continue;
      if (Object.keys(entries).every((field) => own.every((record) => record[field] !== undefined))) {
        await this.cluster.del(key);
      }
    }
  }
}

/** The keys of `node` matching `pattern`, all of them, or at least `enough` when given. */
async function keysOf(node: Redis, pattern: string, enough = Infinity): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0" && found.length < enough);
  return found;
}
