/**
 * The archive's partitions: one per UTC day of each archived table (`<table>_pYYYYMMDD`), one per month of
 * archive_days (`archive_days_pYYYYMM`). They are created before the rows that need them and dropped once
 * wholly older than the retention. The names and bounds are built from dates only, never from input.
 */
import type { Sql } from "../infra/postgres.ts";

/** The tables partitioned by day, with the column that decides a row's day. */
export const DAY_TABLES = [
  "flight_versions",
  "bag_itineraries",
  "work_revisions",
  "dead_letters",
  "bag_events",
] as const;
/** The index of which days hold an id, partitioned by month. */
export const MONTH_TABLE = "archive_days";

const DAY_MS = 86_400_000;
/** Serialises partition DDL between archiver replicas (any constant unique to this project). */
const PARTITION_LOCK = 7_301_746;

/** The UTC day number (days since 1970-01-01) of `ms`. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** `YYYY-MM-DD` of day number `day`. */
export const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

const compact = (day: number) => isoDay(day).replaceAll("-", "");

/** The first day of the month holding `day`, and the first day of the next month. */
function monthBounds(day: number): [number, number] {
  const date = new Date(day * DAY_MS);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return [dayOf(start), dayOf(end)];
}

/** The DDL of every partition day `day` needs. */
function partitionStatements(day: number): string[] {
  const statements = DAY_TABLES.map((table) =>
    `create table if not exists ${table}_p${compact(day)} partition of ${table} ` +
    `for values from ('${isoDay(day)} 00:00:00+00') to ('${isoDay(day + 1)} 00:00:00+00')`
  );
  const [monthStart, monthEnd] = monthBounds(day);
  statements.push(
    `create table if not exists ${MONTH_TABLE}_p${compact(monthStart).slice(0, 6)} partition of ${MONTH_TABLE} ` +
      `for values from ('${isoDay(monthStart)}') to ('${isoDay(monthEnd)}')`,
  );
  return statements;
}

/** Creates partitions on demand, remembering the days it made sure of. */
export class Partitions {
  private readonly ready = new Set<number>();

  constructor(private readonly sql: Sql) {}

  /** Makes sure every table has the partition of each day in `days` (day numbers). */
  async ensure(days: Iterable<number>): Promise<void> {
    const missing = [...new Set(days)].filter((day) => !this.ready.has(day));
    if (missing.length === 0) return;
    await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
      for (const day of missing) {
        for (const statement of partitionStatements(day)) await tx.unsafe(statement);
      }
    });
    for (const day of missing) this.ready.add(day);
  }

  /** Forgets the days made sure of (after partitions were dropped). */
  forget(): void {
    this.ready.clear();
  }
}

/** A partition of one of the archive's tables, with the first day after it. */
interface Partition {
  readonly name: string;
  readonly endDay: number;
}

/** The archive's partitions (of the tables above, in the schema the search path finds), parsed from their names. */
export async function listPartitions(sql: Sql): Promise<Partition[]> {
  const rows = await sql<{ name: string }[]>`
    select child.relname as name
    from pg_inherits
    join pg_class child on child.oid = pg_inherits.inhrelid
    where pg_inherits.inhparent in (select to_regclass(name) from unnest(${[
    ...DAY_TABLES,
    MONTH_TABLE,
  ]}::text[]) name)`;
  const partitions: Partition[] = [];
  for (const { name } of rows) {
    const day = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    if (day) {
      partitions.push({ name, endDay: dayOf(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!)) + 1 });
      continue;
    }
    const month = /_p(\d{4})(\d{2})$/.exec(name);
    if (month) partitions.push({ name, endDay: dayOf(Date.UTC(+month[1]!, +month[2]!, 1)) });
  }
  return partitions;
}

/**
 * Drops the partitions that end on or before `cutoffDay` (a day number: rows before it are past retention);
 * returns their names.
 */
export async function dropPartitionsBefore(sql: Sql, cutoffDay: number): Promise<string[]> {
  const expired = (await listPartitions(sql)).filter((partition) => partition.endDay <= cutoffDay);
  if (expired.length === 0) return [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
    for (const { name } of expired) await tx.unsafe(`drop table if exists ${name}`);
  });
  return expired.map((partition) => partition.name).sort();
}
