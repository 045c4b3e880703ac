/**
 * The archive as a BatchConsumer's store: each chunk's rows and its partition's next offset written in one
 * PostgreSQL transaction, so a redelivered chunk (after a crash, a rebalance, a second replica or a
 * PostgreSQL restart) finds its offsets recorded and adds nothing.
 *
 * The offset row is locked first: two replicas holding the same partition for a moment during a rebalance
 * take turns, and the second one sees what the first one recorded. A work revision the scanner published again
 * is looked up and left out whole, so that no row needs ON CONFLICT.
 */
import type { PartitionStore, StoreRequest, StoreResult } from "../consume/partition_store.ts";
import type { Sql } from "../infra/postgres.ts";
import type { ArchivedMessage } from "./archived_messages.ts";
import { ArchiveRows, revisionKey } from "./archive_rows.ts";
import type { Partitions } from "./partitions.ts";
import type { RecentArchiveDays } from "./recent_days.ts";

/** What the archive store needs besides the database. */
export interface ArchiveStoreOptions {
  readonly sql: Sql;
  readonly topic: string;
  readonly partitions: Partitions;
  /** The first day (a day number) still kept: rows of earlier days are past retention and not stored. */
  readonly cutoffDay: () => number;
  /** The archive_days pairs committed lately, shared by the process's stores. */
  readonly recentDays: RecentArchiveDays;
  /** Called with the rows of each chunk stored, by table. */
  readonly onStored?: (counts: ArchiveRows["counts"], skipped: number) => void;
}

/** The archive store of one topic. */
export function archiveStore(options: ArchiveStoreOptions): PartitionStore<ArchivedMessage> {
  const { sql, topic } = options;
  const recordedOffset = async (partition: number): Promise<bigint> => {
    const rows = await sql<{ next_offset: string }[]>`
      select next_offset from archive_offsets where topic = ${topic} and kafka_partition = ${partition}`;
    return rows.length === 0 ? -1n : BigInt(rows[0]!.next_offset) - 1n;
  };
  const store = async (request: StoreRequest<ArchivedMessage>): Promise<StoreResult> => {
    const rows = new ArchiveRows(topic, request.partition);
    const cutoff = options.cutoffDay();
    let skipped = 0;
    for (const parsed of request.records) if (!rows.add(parsed, cutoff)) skipped += 1;
    // Partition DDL runs before, outside the chunk's transaction: it locks the parent tables.
    await options.partitions.ensure(rows.partitionDays);
    let stored = rows;
    let incarnation = "";
    const result = await sql.begin(async (tx): Promise<StoreResult> => {
      // The two go out together (the driver pipelines a transaction's queries). Without waiting for the disk
      // flush at commit: a crash may lose the last commits, rows and offset together, and the consumer, finding
      // the offset behind what Kafka committed, replays them (as after a Redis rollback).
      const revisions = rows.workRevisions();
      const [, [row], republished, [server]] = await Promise.all([
        tx`select set_config('synchronous_commit', 'off', true)`,
        // Creates the partition's offset row or locks it (the no-op update takes the row lock).
        tx<{ next_offset: string }[]>`insert into archive_offsets (topic, kafka_partition, next_offset)
          values (${topic}, ${request.partition}, 0)
          on conflict (topic, kafka_partition) do update set next_offset = archive_offsets.next_offset
          returning next_offset`,
        revisions.flights.length === 0 ? [] : tx<{ flight: string; revision: string; arrival: number }[]>`
          select flight, revision, arrival
          from unnest(${revisions.flights}::text[], ${revisions.revisions}::bigint[], ${revisions.arrivals}::float8[])
            as m(flight, revision, arrival)
          where exists (select from work_revisions w where w.flight_id = m.flight and w.revision = m.revision
            and w.arrival_at = to_timestamp(m.arrival) and w.arrival_time = m.arrival)`,
        tx<{ started: string }[]>`select pg_postmaster_start_time()::text as started`,
      ]);
      incarnation = server!.started;
      options.recentDays.checkIncarnation(incarnation);
      const recorded = BigInt(row!.next_offset) - 1n;
      if (recorded < request.requiredOffset) return { status: "behind", recorded };
      if (BigInt(request.lastOffset) <= recorded) return { status: "applied", applied: 0, inserted: 0 };
      stored = freshRows(rows, request, recorded, cutoff);
      const archived = {
        revisions: new Set(republished.map((r) => revisionKey(r.flight, Number(r.revision), r.arrival))),
        days: options.recentDays,
      };
      await Promise.all([
        ...stored.insert(tx, archived),
        tx`update archive_offsets set next_offset = ${String(BigInt(request.lastOffset) + 1n)}
          where topic = ${topic} and kafka_partition = ${request.partition}`,
      ]);
      const applied = request.records.filter((parsed) => BigInt(parsed.offset) > recorded).length;
      return { status: "applied", applied, inserted: applied };
    });
    // The archive lost commits (a crash, a failover): their pairs are written again when they are replayed.
    if (result.status === "behind") options.recentDays.forget();
    if (result.status === "applied" && result.applied > 0) {
      options.recentDays.remember(stored.daysWritten, incarnation);
      options.onStored?.(stored.counts, skipped);
    }
    return result;
  };
  return { store, recordedOffset };
}

/** The rows of the records after `recorded`: a chunk another replica stored in part. */
function freshRows(
  rows: ArchiveRows,
  request: StoreRequest<ArchivedMessage>,
  recorded: bigint,
  cutoff: number,
): ArchiveRows {
  const first = request.records[0];
  if (first === undefined || BigInt(first.offset) > recorded) return rows;
  const fresh = new ArchiveRows(rows.topic, rows.partition);
  for (const parsed of request.records) if (BigInt(parsed.offset) > recorded) fresh.add(parsed, cutoff);
  return fresh;
}
