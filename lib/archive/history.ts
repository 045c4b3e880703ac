/**
 * A bag's or a flight's history from the archive, in time order: the days archive_days lists for the id
 * bound every query, so a lookup reads those days' partitions only, however long the retention.
 */
import type { Sql } from "../infra/postgres.ts";

/** A version of a bag's itinerary, with the Kafka time and offset of the message that brought it. */
export interface ItineraryVersion {
  readonly flights: string[];
  /** The baggage message that gave it (BSM, BTM, with CHG or DEL), absent for the bags topic's JSON. */
  readonly message?: string;
  readonly at: string;
  readonly partition: number;
  readonly offset: number;
}

/** A bag's work in one revision of a flight's work: its next departure or code, or its removal. */
export interface BagWork {
  readonly flight_id: string;
  readonly revision: number;
  readonly arrival_time: number;
  /** The next departure (Unix seconds) or a code (0, -1, -2, -3, -10); null when the revision removed the bag. */
  readonly departure_time: number | null;
  readonly next_flight_id: string | null;
  readonly removed: boolean;
  readonly scanned_at: number;
  /** The bag's exceptions in that revision (RUSH, PRIO…), absent when none. */
  readonly exceptions?: string[];
}

/** What a BPM or BUM said happened to the bag. */
export interface BagEventRecord {
  readonly message: string;
  readonly flight_id: string | null;
  readonly what: string;
  readonly location: string | null;
  /** When it happened (ISO 8601, UTC), null when the message gave no UTC time. */
  readonly event_at: string | null;
  /** The Kafka time of the message. */
  readonly at: string;
}

/** GET /bags/<id>. */
export interface BagHistory {
  readonly id: string;
  readonly itineraries: ItineraryVersion[];
  readonly work: BagWork[];
  /** Its bag events (BPM, BUM), in Kafka time order. */
  readonly events: BagEventRecord[];
}

/** A version of a flight, as a message of the flights topic gave it. */
export interface FlightVersion {
  readonly departure_time: number;
  readonly arrival_time: number;
  /** The manifest, null when the message carried none (the one before it stayed). */
  readonly bags: string[] | null;
  readonly at: string;
  readonly partition: number;
  readonly offset: number;
}

/** One work revision of a flight, as the work topic carried it. */
export interface FlightRevision {
  readonly revision: number;
  readonly arrival_time: number;
  readonly scanned_at: number;
  readonly bags: Record<string, number>;
  readonly next_flights: Record<string, string | null>;
  readonly removed_bags: string[];
}

/** GET /flights/<id>. */
export interface FlightHistory {
  readonly id: string;
  readonly versions: FlightVersion[];
  readonly work: FlightRevision[];
}

const DAY_MS = 86_400_000;

/** The time range of the days holding rows of `id`, or undefined when the archive has none. */
async function daysOf(sql: Sql, kind: "bag" | "flight", id: string): Promise<{ from: Date; to: Date } | undefined> {
  const [row] = await sql<{ first: Date | null; last: Date | null }[]>`
    select min(day)::timestamptz as first, max(day)::timestamptz as last
    from archive_days where kind = ${kind} and id = ${id}`;
  if (!row?.first || !row.last) return undefined;
  return { from: row.first, to: new Date(row.last.getTime() + DAY_MS) };
}

/** The history of bag `id`, or undefined when the archive does not know it. */
export async function bagHistory(sql: Sql, id: string): Promise<BagHistory | undefined> {
  const days = await daysOf(sql, "bag", id);
  if (days === undefined) return undefined;
  const { from, to } = days;
  const itineraries = await sql<
    { flights: string[]; message: string | null; at: Date; partition: number; offset: string }[]
  >`
    select flights, message, kafka_time as at, kafka_partition as partition, kafka_offset as offset
    from bag_itineraries
    where bag_id = ${id} and kafka_time >= ${from} and kafka_time < ${to}
    order by kafka_time, kafka_partition, kafka_offset`;
  const work = await sql<WorkRow[]>`
    select flight_id, revision, arrival_time, departure_time,
      next_flight_id, removed, exceptions, scanned_at
    from work_revisions
    where bag_id = ${id} and arrival_at >= ${from} and arrival_at < ${to}
    order by scanned_at, flight_id, revision`;
  const events = await sql<
    {
      message: string;
      flight_id: string | null;
      what: string;
      location: string | null;
      event_at: Date | null;
      at: Date;
    }[]
  >`
    select message, flight_id, what, location, event_at, kafka_time as at
    from bag_events
    where bag_id = ${id} and kafka_time >= ${from} and kafka_time < ${to}
    order by kafka_time, kafka_partition, kafka_offset`;
  return {
    id,
    itineraries: itineraries.map((row) => ({
      flights: row.flights,
      ...(row.message === null ? {} : { message: row.message }),
      at: row.at.toISOString(),
      partition: row.partition,
      offset: Number(row.offset),
    })),
    work: work.map((row) => ({
      flight_id: row.flight_id,
      revision: Number(row.revision),
      arrival_time: Number(row.arrival_time),
      departure_time: row.departure_time === null ? null : Number(row.departure_time),
      next_flight_id: row.next_flight_id,
      removed: row.removed,
      scanned_at: Number(row.scanned_at),
      ...(row.exceptions === null ? {} : { exceptions: row.exceptions }),
    })),
    events: events.map((row) => ({
      message: row.message,
      flight_id: row.flight_id,
      what: row.what,
      location: row.location,
      event_at: row.event_at === null ? null : row.event_at.toISOString(),
      at: row.at.toISOString(),
    })),
  };
}

interface WorkRow {
  readonly flight_id: string;
  readonly bag_id: string;
  readonly revision: string;
  readonly arrival_time: number;
  readonly departure_time: number | null;
  readonly next_flight_id: string | null;
  readonly removed: boolean;
  readonly exceptions?: string[] | null;
  readonly scanned_at: string;
}

/** The history of flight `id`, or undefined when the archive does not know it. */
export async function flightHistory(sql: Sql, id: string): Promise<FlightHistory | undefined> {
  const days = await daysOf(sql, "flight", id);
  if (days === undefined) return undefined;
  const { from, to } = days;
  const versions = await sql<
    {
      departure_time: number;
      arrival_time: number;
      bags: string[] | null;
      at: Date;
      partition: number;
      offset: string;
    }[]
  >`
    select departure_time, arrival_time, bags, kafka_time as at, kafka_partition as partition, kafka_offset as offset
    from flight_versions
    where flight_id = ${id} and kafka_time >= ${from} and kafka_time < ${to}
    order by kafka_time, kafka_partition, kafka_offset`;
  // The flight's revisions are on its arrival days; the unique index orders each revision's bags.
  const work = await sql<WorkRow[]>`
    select bag_id, revision, arrival_time, departure_time,
      next_flight_id, removed, scanned_at
    from work_revisions
    where flight_id = ${id} and arrival_at >= ${from} and arrival_at < ${to}
    order by scanned_at, revision, kafka_offset, removed, bag_id`;
  return {
    id,
    versions: versions.map((row) => ({
      departure_time: Number(row.departure_time),
      arrival_time: Number(row.arrival_time),
      bags: row.bags,
      at: row.at.toISOString(),
      partition: row.partition,
      offset: Number(row.offset),
    })),
    work: revisionsOf(work),
  };
}

/** Groups a flight's work rows into its revisions, in the order given. */
function revisionsOf(rows: readonly WorkRow[]): FlightRevision[] {
  const revisions = new Map<number, FlightRevision>();
  for (const row of rows) {
    let revision = revisions.get(Number(row.revision));
    if (revision === undefined) {
      revision = {
        revision: Number(row.revision),
        arrival_time: Number(row.arrival_time),
        scanned_at: Number(row.scanned_at),
        bags: {},
        next_flights: {},
        removed_bags: [],
      };
      revisions.set(Number(row.revision), revision);
    }
    if (row.removed) {
      revision.removed_bags.push(row.bag_id);
    } else {
      revision.bags[row.bag_id] = Number(row.departure_time);
      revision.next_flights[row.bag_id] = row.next_flight_id;
    }
  }
  return [...revisions.values()];
}
