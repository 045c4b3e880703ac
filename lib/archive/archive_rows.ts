/**
 * The archive's rows of a chunk of messages, as column arrays: one multi-row `insert … select from unnest`
 * per table and chunk, so a statement has the same few parameters whatever the chunk's size.
 */
import type { Parsed } from "../consume/partition_store.ts";
import type { FlightWork } from "../domain/work.ts";
import type { ArchivedMessage } from "./archived_messages.ts";
import { dayOf, isoDay } from "./partitions.ts";
import type { TransactionSql } from "../infra/postgres.ts";
import { RecentArchiveDays } from "./recent_days.ts";
import type { BaggageRecord } from "../ingest/baggage_records.ts";

/** Which days hold rows of a bag or a flight (archive_days), each pair once. */
class ArchiveDays {
  readonly keys = new Set<string>();
  readonly kinds: string[] = [];
  readonly ids: string[] = [];
  readonly days: string[] = [];

  add(kind: "bag" | "flight", id: string, day: number): void {
    const key = RecentArchiveDays.key(kind, id, day);
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.kinds.push(kind);
    this.ids.push(id);
    this.days.push(isoDay(day));
  }
}

/** A work message of the chunk, its rows made at insert time (once its revision is known to be new). */
interface WorkMessage {
  readonly work: FlightWork;
  readonly at: number;
  readonly offset: string;
  readonly day: number;
}

/** A work revision's identity: a republished revision repeats all three. */
export const revisionKey = (flight: string, revision: number, arrival: number) => `${flight} ${revision} ${arrival}`;

/** What the archive already holds that a chunk's insert leaves out. */
export interface AlreadyArchived {
  /** revisionKey()s of the chunk's work revisions already archived (republished by the scanner). */
  readonly revisions: ReadonlySet<string>;
  /** The archive_days pairs written lately. */
  readonly days: RecentArchiveDays;
}

/** The rows of one chunk, and the days their partitions must exist for. */
export class ArchiveRows {
  readonly partitionDays = new Set<number>();
  readonly archiveDays = new ArchiveDays();
  readonly flights = {
    ids: [] as string[],
    departures: [] as number[],
    arrivals: [] as number[],
    bags: [] as (string | null)[],
  };
  readonly bags = { ids: [] as string[], flights: [] as string[], messages: [] as (string | null)[] };
  readonly events = {
    bags: [] as string[],
    messages: [] as string[],
    flights: [] as (string | null)[],
    whats: [] as string[],
    locations: [] as (string | null)[],
    eventAt: [] as (string | null)[],
  };
  readonly workMessages: WorkMessage[] = [];
  readonly deadLetters = {
    reasons: [] as string[],
    sourceTopics: [] as (string | null)[],
    sourcePartitions: [] as (number | null)[],
    sourceOffsets: [] as (string | null)[],
    keys: [] as (string | null)[],
    values: [] as (Buffer | null)[],
  };
  /** Per row of each table: the Kafka time (ms), partition and offset of its message. */
  readonly sources = {
    flights: { at: [] as number[], offsets: [] as string[] },
    bags: { at: [] as number[], offsets: [] as string[] },
    events: { at: [] as number[], offsets: [] as string[] },
    deadLetters: { at: [] as number[], offsets: [] as string[] },
  };
  /** The archive_days pairs insert() wrote. */
  readonly daysWritten: string[] = [];
  /** Rows per table, for the metrics (work_revisions once insert() has left out the republished revisions). */
  readonly counts = { flight_versions: 0, bag_itineraries: 0, work_revisions: 0, dead_letters: 0, bag_events: 0 };

  constructor(readonly topic: string, readonly partition: number) {}

  /** Adds the rows of `parsed`, unless its day is before `cutoffDay` (past retention). */
  add({ offset, record }: Parsed<ArchivedMessage>, cutoffDay: number): boolean {
    if (record.kind === "skipped") return false;
    const day = record.kind === "work" ? dayOf(record.work.arrival_time * 1000) : dayOf(record.at);
    if (day < cutoffDay) return false;
    this.partitionDays.add(day);
    switch (record.kind) {
      case "flight": {
        const { flight } = record;
        this.flights.ids.push(flight.id);
        this.flights.departures.push(flight.departure_time);
        this.flights.arrivals.push(flight.arrival_time);
        this.flights.bags.push(flight.bags === undefined ? null : flight.bags.join(","));
        this.push(this.sources.flights, record.at, offset);
        this.archiveDays.add("flight", flight.id, day);
        this.counts.flight_versions += 1;
        break;
      }
      case "bag":
        this.addItinerary(record.bag.id, record.bag.flights, null, record.at, offset, day);
        break;
      case "baggage-message":
        this.addBaggageMessage(record.message, record.at, offset, day);
        break;
      case "work":
        this.workMessages.push({ work: record.work, at: record.at, offset, day });
        break;
      case "dead-letter": {
        const { deadLetter } = record;
        const rows = this.deadLetters;
        rows.reasons.push(deadLetter.reason);
        rows.sourceTopics.push(deadLetter.sourceTopic);
        rows.sourcePartitions.push(deadLetter.sourcePartition);
        rows.sourceOffsets.push(deadLetter.sourceOffset);
        rows.keys.push(deadLetter.key);
        rows.values.push(deadLetter.value === null ? null : Buffer.from(deadLetter.value));
        this.push(this.sources.deadLetters, record.at, offset);
        this.counts.dead_letters += 1;
        break;
      }
    }
    return true;
  }

  private addItinerary(
    bag: string,
    flights: readonly string[],
    message: string | null,
    at: number,
    offset: string,
    day: number,
  ): void {
    this.bags.ids.push(bag);
    this.bags.flights.push(flights.join(","));
    this.bags.messages.push(message);
    this.push(this.sources.bags, at, offset);
    this.archiveDays.add("bag", bag, day);
    this.counts.bag_itineraries += 1;
  }

  /** A BSM or BTM is a version of each of its bags' itineraries; a BPM or BUM an event of each of its bags. */
  private addBaggageMessage(message: BaggageRecord, at: number, offset: string, day: number): void {
    if (message.kind === "operations") {
      const action = { add: "", change: " CHG", delete: " DEL" } as const;
      for (const operation of message.operations) {
        const name = `${message.type}${action[operation.action]}`;
        this.addItinerary(operation.tag, operation.flights, name, at, offset, day);
      }
      return;
    }
    const events = this.events;
    for (const event of message.events) {
      events.bags.push(event.tag);
      events.messages.push(event.type);
      events.flights.push(event.flight);
      events.whats.push(event.what);
      events.locations.push(event.where);
      events.eventAt.push(event.at);
      this.push(this.sources.events, at, offset);
      this.archiveDays.add("bag", event.tag, day);
      this.counts.bag_events += 1;
    }
  }

  /** The chunk's work revisions (flight, revision, arrival), to look up in the archive. */
  workRevisions(): { flights: string[]; revisions: number[]; arrivals: number[] } {
    const revisions = { flights: [] as string[], revisions: [] as number[], arrivals: [] as number[] };
    for (const { work } of this.workMessages) {
      revisions.flights.push(work.id);
      revisions.revisions.push(work.revision);
      revisions.arrivals.push(work.arrival_time);
    }
    return revisions;
  }

  /** The rows of the work revisions not in `archived` (each once, however often the chunk repeats it). */
  private workRows(archived: ReadonlySet<string>) {
    const rows = {
      flights: [] as string[],
      bags: [] as string[],
      revisions: [] as number[],
      arrivals: [] as number[],
      departures: [] as (number | null)[],
      nextFlights: [] as (string | null)[],
      removed: [] as string[],
      exceptions: [] as (string | null)[],
      scannedAt: [] as number[],
      at: [] as number[],
      offsets: [] as string[],
    };
    const taken = new Set(archived);
    for (const { work, at, offset, day } of this.workMessages) {
      const key = revisionKey(work.id, work.revision, work.arrival_time);
      if (taken.has(key)) continue;
      taken.add(key);
      // The driver sends a JS boolean array as one boolean: booleans travel as 't'/'f' text.
      const add = (bag: string, departure: number | null, next: string | null, removed: "t" | "f") => {
        rows.flights.push(work.id);
        rows.bags.push(bag);
        rows.revisions.push(work.revision);
        rows.arrivals.push(work.arrival_time);
        rows.departures.push(departure);
        rows.nextFlights.push(next);
        rows.removed.push(removed);
        rows.exceptions.push(work.exceptions?.[bag]?.join(",") ?? null);
        rows.scannedAt.push(work.scanned_at);
        rows.at.push(at);
        rows.offsets.push(offset);
        this.archiveDays.add("bag", bag, day);
      };
      for (const [bag, departure] of Object.entries(work.bags)) {
        add(bag, departure, work.next_flights[bag] ?? null, "f");
      }
      for (const bag of work.removed_bags) add(bag, null, null, "t");
      this.archiveDays.add("flight", work.id, day);
    }
    this.counts.work_revisions = rows.bags.length;
    return rows;
  }

  private push(source: { at: number[]; offsets: string[] }, at: number, offset: string): void {
    source.at.push(at);
    source.offsets.push(offset);
  }

  /**
   * Issues the inserts of every row in `tx` at once (the driver pipelines them), leaving out what `archived`
   * says the archive holds; `daysWritten` is then the archive_days pairs inserted.
   */
  insert(tx: TransactionSql, archived: AlreadyArchived): Promise<unknown>[] {
    const queries: Promise<unknown>[] = [];
    const p = this.partition;
    const { flights, bags, deadLetters, sources } = this;
    if (flights.ids.length > 0) {
      queries.push(tx`insert into flight_versions
        (flight_id, departure_time, arrival_time, bags, kafka_time, kafka_partition, kafka_offset)
        select id, departure, arrival, string_to_array(bags, ','), to_timestamp(at / 1000.0), ${p}, kafka_offset
        from unnest(${flights.ids}::text[], ${flights.departures}::float8[], ${flights.arrivals}::float8[],
          ${flights.bags}::text[], ${sources.flights.at}::bigint[], ${sources.flights.offsets}::bigint[])
          as t(id, departure, arrival, bags, at, kafka_offset)`);
    }
    if (bags.ids.length > 0) {
      queries.push(tx`insert into bag_itineraries (bag_id, flights, message, kafka_time, kafka_partition, kafka_offset)
        select id, string_to_array(flights, ','), message, to_timestamp(at / 1000.0), ${p}, kafka_offset
        from unnest(${bags.ids}::text[], ${bags.flights}::text[], ${bags.messages}::text[], ${sources.bags.at}::bigint[],
          ${sources.bags.offsets}::bigint[]) as t(id, flights, message, at, kafka_offset)`);
    }
    const { events } = this;
    if (events.bags.length > 0) {
      queries.push(tx`insert into bag_events (bag_id, message, flight_id, what, location, event_at, kafka_time,
          kafka_partition, kafka_offset)
        select bag, message, flight, what, location, event_at::timestamptz, to_timestamp(at / 1000.0), ${p}, kafka_offset
        from unnest(${events.bags}::text[], ${events.messages}::text[], ${events.flights}::text[],
          ${events.whats}::text[], ${events.locations}::text[], ${events.eventAt}::text[],
          ${sources.events.at}::bigint[], ${sources.events.offsets}::bigint[])
          as t(bag, message, flight, what, location, event_at, at, kafka_offset)`);
    }
    const work = this.workRows(archived.revisions);
    if (work.flights.length > 0) {
      queries.push(tx`insert into work_revisions (flight_id, bag_id, revision, arrival_at, arrival_time, departure_time,
          next_flight_id, removed, exceptions, scanned_at, kafka_time, kafka_partition, kafka_offset)
        select flight, bag, revision, to_timestamp(arrival), arrival, departure, next_flight, removed::boolean,
          string_to_array(exceptions, ','), scanned_at, to_timestamp(at / 1000.0), ${p}, kafka_offset
        from unnest(${work.flights}::text[], ${work.bags}::text[], ${work.revisions}::bigint[],
          ${work.arrivals}::float8[], ${work.departures}::float8[], ${work.nextFlights}::text[],
          ${work.removed}::text[], ${work.exceptions}::text[], ${work.scannedAt}::float8[], ${work.at}::bigint[],
          ${work.offsets}::bigint[])
          as t(flight, bag, revision, arrival, departure, next_flight, removed, exceptions, scanned_at, at, kafka_offset)`);
    }
    if (deadLetters.reasons.length > 0) queries.push(...this.insertDeadLetters(tx));
    const days = { kinds: [] as string[], ids: [] as string[], days: [] as string[] };
    let i = 0;
    for (const key of this.archiveDays.keys) {
      if (!archived.days.has(key)) {
        days.kinds.push(this.archiveDays.kinds[i]!);
        days.ids.push(this.archiveDays.ids[i]!);
        days.days.push(this.archiveDays.days[i]!);
        this.daysWritten.push(key);
      }
      i += 1;
    }
    if (days.ids.length > 0) {
      queries.push(tx`insert into archive_days (kind, id, day)
        select * from unnest(${days.kinds}::text[], ${days.ids}::text[], ${days.days}::date[])`);
    }
    return queries;
  }

  private insertDeadLetters(tx: TransactionSql): Promise<unknown>[] {
    const rows = this.deadLetters;
    const source = this.sources.deadLetters;
    // bytea[] has no literal the driver builds from Buffers: one parameterised row each (dead letters are few).
    return rows.reasons.map((_, i) =>
      tx`insert into dead_letters (topic, kafka_partition, kafka_offset, kafka_time, reason, source_topic,
          source_partition, source_offset, message_key, value)
        values (${this.topic}, ${this.partition}, ${source.offsets[i]!}, to_timestamp(${source.at[i]!} / 1000.0),
          ${rows.reasons[i]!}, ${rows.sourceTopics[i]!}, ${rows.sourcePartitions[i]!}, ${rows.sourceOffsets[i]!},
          ${rows.keys[i]!}, ${rows.values[i]!})`
    );
  }
}
