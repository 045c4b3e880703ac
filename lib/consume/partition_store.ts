/**
 * The contract between a BatchConsumer and what it stores into (the upserts, the work stream): a chunk of
 * one partition parsed into valid records, one idempotent Lua call per chunk, and the offset Redis records
 * for each partition.
 */
import type { KafkaMessage } from "kafkajs";
import type { RedisClient } from "../infra/redis.ts";
import { orderStamp } from "../domain/order_stamp.ts";
import { InvalidMessage, UnexpectedScriptReply } from "../infra/errors.ts";
import { loadScript, SCRIPT_CODES, type ScriptName } from "../infra/scripts.ts";

/** A valid message with its offset, and its order stamp when it was sent without a key (see domain/order_stamp.ts). */
export interface Parsed<T> {
  readonly offset: string;
  readonly record: T;
  readonly stamp?: string;
}

/** One chunk for `store`: valid records of one partition, and the last offset handled (valid or not). */
export interface StoreRequest<T> {
  readonly partition: number;
  /**
   * The lowest offset Redis must already record for the partition (-1n for none): what the consumer, or
   * its group through Kafka's committed offset, knows was stored before this chunk. A lower record means
   * Redis lost its data or went back in time (snapshot restore, AOF fsync loss, replica failover).
   */
  readonly requiredOffset: bigint;
  readonly lastOffset: string;
  readonly records: readonly Parsed<T>[];
}

/**
 * What `store` reports: applied, or Redis records less than required (nothing written). `refused` lists messages
 * the store would not apply given what it holds (a change of a bag it does not know), for the dead-letter topic.
 */
export type StoreResult =
  | {
    readonly status: "applied";
    readonly applied: number;
    readonly inserted: number;
    readonly refused?: readonly { readonly offset: string; readonly reason: string }[];
  }
  | { readonly status: "behind"; readonly recorded: bigint };

/** Something a BatchConsumer stores into. */
export interface PartitionStore<T> {
  readonly store: (request: StoreRequest<T>) => Promise<StoreResult>;
  /** The last offset Redis records as stored for `partition`, -1n when none. */
  readonly recordedOffset: (partition: number) => Promise<bigint>;
}

/** A message that broke the contract, with the reason for its dead letter. */
export interface InvalidInput {
  readonly message: KafkaMessage;
  readonly reason: string;
}

/**
 * Parses each message of `chunk` with `parse`; a message sent without a key gets an order stamp (see
 * domain/order_stamp.ts). InvalidMessage marks a message invalid; any other error is a bug and is thrown.
 */
export function parseChunk<T>(
  chunk: readonly KafkaMessage[],
  partition: number,
  parse: (message: KafkaMessage) => T,
): { valid: Parsed<T>[]; invalid: InvalidInput[] } {
  const valid: Parsed<T>[] = [];
  const invalid: InvalidInput[] = [];
  for (const message of chunk) {
    try {
      const record = parse(message);
      valid.push(
        message.key === null
          ? { offset: message.offset, record, stamp: orderStamp(message.timestamp, partition, message.offset) }
          : { offset: message.offset, record },
      );
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      invalid.push({ message, reason: error.reason });
    }
  }
  return { valid, invalid };
}

/** Maps `{status, applied or recorded, inserted}` from the upsert and append scripts to a StoreResult. */
export function toStoreResult(script: ScriptName, reply: unknown): StoreResult {
  const [status, appliedOrRecorded, inserted] = reply as [number, number, number];
  if (status === SCRIPT_CODES.BEHIND) return { status: "behind", recorded: BigInt(appliedOrRecorded) };
  if (status === SCRIPT_CODES.APPLIED) return { status: "applied", applied: appliedOrRecorded, inserted };
  throw new UnexpectedScriptReply(script, reply);
}

/** How a PartitionStore runs one Lua script per chunk, and where that script records each partition's offset. */
export interface ScriptStoreOptions<T> {
  readonly redis: RedisClient;
  readonly script: ScriptName;
  /** The hash, and its field for a partition, where the script records the last offset it applied. */
  readonly offsets: { readonly key: string; readonly field: (partition: number) => string };
  /** The script's KEYS and ARGV for a chunk. */
  readonly encode: (request: StoreRequest<T>) => { keys: string[]; args: (string | number)[] };
  /** Called with the whole reply of a chunk that was applied (for the counts beyond the status). */
  readonly onApplied?: (reply: readonly number[], request: StoreRequest<T>) => void;
}

/**
 * A PartitionStore over `script` recording each partition's offset in `offsetsKey`, keyed by the partition
 * number (the upserts' appliedOffsetsKey(topic)).
 */
export function offsetsByPartition<T>(
  redis: RedisClient,
  script: ScriptName,
  offsetsKey: string,
  encode: ScriptStoreOptions<T>["encode"],
): Promise<PartitionStore<T>> {
  return scriptStore<T>({ redis, script, offsets: { key: offsetsKey, field: String }, encode });
}

/** A PartitionStore over one of the scripts that return {APPLIED | BEHIND, applied or recorded, …}. */
export async function scriptStore<T>(options: ScriptStoreOptions<T>): Promise<PartitionStore<T>> {
  const { redis, offsets } = options;
  const script = await loadScript(redis, options.script);
  const store = async (request: StoreRequest<T>): Promise<StoreResult> => {
    const { keys, args } = options.encode(request);
    const reply = await script.run(keys, args);
    const result = toStoreResult(options.script, reply);
    if (result.status === "applied") options.onApplied?.(reply as number[], request);
    return result;
  };
  const recordedOffset = async (partition: number) => {
    const reply = await redis.hget(offsets.key, offsets.field(partition));
    return reply === null ? -1n : BigInt(reply);
  };
  return { store, recordedOffset };
}
