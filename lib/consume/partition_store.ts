/**
 * The contract between a BatchConsumer and what it stores into (the upserts, the work stream):
 * one idempotent call per chunk of a partition, and the offset Redis records for each partition.
 */

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

/** What `store` reports: applied, or Redis records less than required (nothing written). */
export type StoreResult =
  | { readonly status: "applied"; readonly applied: number; readonly inserted: number }
  | { readonly status: "behind"; readonly recorded: bigint };

/** Something a BatchConsumer stores into. */
export interface PartitionStore<T> {
  readonly store: (request: StoreRequest<T>) => Promise<StoreResult>;
  /** The last offset Redis records as stored for `partition`, -1n when none. */
  readonly recordedOffset: (partition: number) => Promise<bigint>;
}

/** The scripts' return code when Redis records less than the request required (see lua/upsert_flights.lua). */
const BEHIND = -20;

/** Maps `{status, applied or recorded, inserted}` from the upsert and append scripts to a StoreResult. */
export function toStoreResult(reply: unknown): StoreResult {
  const [status, appliedOrRecorded, inserted] = reply as [number, number, number];
  if (status === BEHIND) return { status: "behind", recorded: BigInt(appliedOrRecorded) };
  return { status: "applied", applied: appliedOrRecorded, inserted };
}

/** The offset recorded in `field` of the hash `key`, -1n when none. */
export function parseRecordedOffset(reply: string | null): bigint {
  return reply === null ? -1n : BigInt(reply);
}
