/**
 * The PartitionStore of an upsert script (lua/upsert_flights.lua, lua/upsert_bags.lua) on either topology: on one
 * Redis node, one call per chunk recording the partition's offset in `offsets:<topic>`; on a Redis Cluster, one call
 * per master with the records whose keys it serves, every master called (one with no records only records the
 * offset), each checking and recording its own record (lib/consume/node_records.ts). The marks that belong to other
 * masters' flights (the script returns their ids) go to those masters in a second call (lua/mark_due_flights.lua).
 * See docs/design/redis-cluster.md.
 */
import { Cluster } from "ioredis";
import type { Parsed, PartitionStore, StoreRequest, StoreResult } from "../consume/partition_store.ts";
import { toStoreResult } from "../consume/partition_store.ts";
import { NodeRecords } from "../consume/node_records.ts";
import { callEachNode } from "../infra/cluster_calls.ts";
import { appliedOffsetsKey, flightKey, slotScope, WORK_MARKS, workMarksKey } from "../infra/keys.ts";
import type { RedisClient } from "../infra/redis.ts";
import { loadScript, SCRIPT_CODES, type ScriptName, scriptsOf } from "../infra/scripts.ts";
import { type MarkInputs, markInputs, type MarkWindow } from "./mark_window.ts";

/** One call's share of a chunk: the record it checks and writes, its records, and their scopes on a cluster. */
export interface UpsertShare<T> {
  readonly recordKey: string;
  /** The marks of the node the call runs on: work:marks, on a cluster work:marks:{<tag of the node>}. */
  readonly marksKey: string;
  readonly records: readonly Parsed<T>[];
  /** Each record's scope (keys.ts slotScope) on a Redis Cluster; undefined on one node. */
  readonly scopes?: readonly string[];
}

export interface UpsertStoreOptions<T> {
  readonly redis: RedisClient;
  readonly script: ScriptName;
  readonly topic: string;
  /** The key of a record's item (bag:id:<id>, flight:id:<id>): on a cluster, it decides the master. */
  readonly keyOf: (record: T) => string;
  /** On a cluster, a SCAN pattern of keys only a master holding data of the topic has (see NodeRecords). */
  readonly dataPattern: string;
  readonly window: MarkWindow;
  /** The script's KEYS and ARGV for one share of a chunk, with the window as it is for the chunk. */
  readonly encode: (
    request: StoreRequest<T>,
    share: UpsertShare<T>,
    marks: MarkInputs,
  ) => { keys: string[]; args: (string | number)[] };
}

/** What an upsert script answers: {status, applied or recorded, inserted, marked, ids of flights to mark elsewhere}. */
type UpsertReply = [number, number, number, number, string[]];

export async function createUpsertStore<T>(options: UpsertStoreOptions<T>): Promise<PartitionStore<T>> {
  const { redis, script: name, topic } = options;
  if (!(redis instanceof Cluster)) {
    const script = await loadScript(redis, name);
    const recordKey = appliedOffsetsKey(topic);
    return {
      store: async (request) => {
        const { keys, args } = options.encode(
          request,
          { recordKey, marksKey: WORK_MARKS, records: request.records },
          markInputs(options.window),
        );
        return toStoreResult(name, await script.run(keys, args));
      },
      recordedOffset: async (partition) => {
        const recorded = await redis.hget(recordKey, String(partition));
        return recorded === null ? -1n : BigInt(recorded);
      },
    };
  }
  const cluster = redis;
  const records = new NodeRecords(cluster, topic, options.dataPattern);
  const keyOf = (parsed: Parsed<T>) => options.keyOf(parsed.record);
  const store = async (request: StoreRequest<T>): Promise<StoreResult> => {
    const marks = markInputs(options.window);
    const replies = await callEachNode(cluster, request.records, keyOf, async (part) => {
      const share: UpsertShare<T> = {
        recordKey: records.keyOf(part.tag),
        marksKey: workMarksKey(`:{${part.tag}}`),
        records: part.items,
        scopes: part.items.map((parsed) => slotScope(keyOf(parsed), true)),
      };
      const { keys, args } = options.encode(request, share, marks);
      const script = scriptsOf(part.node)[name];
      const reply = await script.run(keys, args) as UpsertReply;
      // A master without a record may have had it moved away by a resharding: it inherits it, then applies.
      const recordMissing = reply[0] === SCRIPT_CODES.BEHIND && reply[1] === -1 && request.requiredOffset >= 0n;
      if (recordMissing && await records.inherit(part.tag, request.partition)) {
        return await script.run(keys, args) as UpsertReply;
      }
      return reply;
    }, { everyNode: true });
    const results = replies.map((reply) => toStoreResult(name, reply));
    const behind = results.filter((result) => result.status === "behind");
    if (behind.length > 0) {
      const recorded = behind.reduce(
        (low, result) => result.recorded < low ? result.recorded : low,
        behind[0]!.recorded,
      );
      return { status: "behind", recorded };
    }
    const toMark = [...new Set(replies.flatMap((reply) => reply[4]))];
    if (toMark.length > 0) await markElsewhere(cluster, toMark, marks);
    return {
      status: "applied",
      applied: results.reduce((sum, result) => sum + (result.status === "applied" ? result.applied : 0), 0),
      inserted: results.reduce((sum, result) => sum + (result.status === "applied" ? result.inserted : 0), 0),
    };
  };
  return { store, recordedOffset: (partition) => records.lowest(partition) };
}

/** Marks the due ones among `flightIds` on the masters serving their keys. */
async function markElsewhere(cluster: Cluster, flightIds: readonly string[], marks: MarkInputs): Promise<void> {
  await callEachNode(cluster, flightIds, flightKey, (part) =>
    scriptsOf(part.node).mark_due_flights.run(
      [workMarksKey(`:{${part.tag}}`)],
      [marks.from, marks.until, marks.nowMs, ...part.items.flatMap((id) => [id, slotScope(flightKey(id), true)])],
    ));
}
