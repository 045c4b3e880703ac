/**
 * The archive of a chaos run: a PostgreSQL schema of the run's own on the chaos stack, how far the
 * archiver got per partition, and its rows in a form two runs can be compared by (Kafka times and offsets,
 * and the run's topic names, left out: they differ between runs).
 */
import { createHash } from "node:crypto";
import { connectPostgres, type Sql } from "../../lib/infra/postgres.ts";

/** A run's schema: `url` is the archiver's POSTGRES_URL, `sql` the suite's own connection. */
export interface RunArchive {
  readonly url: string;
  readonly sql: Sql;
  drop(): Promise<void>;
}

/** Creates the run's schema `schema` on the PostgreSQL at `baseUrl`. */
export async function createRunArchive(baseUrl: string, schema: string): Promise<RunArchive> {
  const name = schema.replaceAll(/[^a-z0-9_]/g, "_");
  const admin = connectPostgres(baseUrl, "chaos", undefined, 1);
  try {
    await admin.unsafe(`drop schema if exists ${name} cascade; create schema ${name}`);
  } finally {
    await admin.end({ timeout: 2 });
  }
  const url = `${baseUrl}?search_path=${name}`;
  const sql = connectPostgres(url, "chaos", undefined, 2);
  return {
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 2 });
      const cleanup = connectPostgres(baseUrl, "chaos", undefined, 1);
      await cleanup.unsafe(`drop schema if exists ${name} cascade`).catch(() => {});
      await cleanup.end({ timeout: 2 });
    },
  };
}

/** Topic -> partition -> last offset archived, for the run's topics (empty before the archiver made its tables). */
export async function archivedOffsets(sql: Sql): Promise<Map<string, Map<number, number>>> {
  const offsets = new Map<string, Map<number, number>>();
  const exists = await sql`select to_regclass('archive_offsets') is not null as ready`;
  if (!exists[0]?.ready) return offsets;
  const rows = await sql<{ topic: string; kafka_partition: number; next_offset: string }[]>`
    select topic, kafka_partition, next_offset from archive_offsets`;
  for (const row of rows) {
    const topic = offsets.get(row.topic) ?? new Map<number, number>();
    topic.set(row.kafka_partition, Number(row.next_offset) - 1);
    offsets.set(row.topic, topic);
  }
  return offsets;
}

/**
 * Every archived row as a line of its content, with how many rows carry it. `topics` maps the run's topic
 * names to their roles, so that dead letters compare across runs.
 */
export async function readArchive(sql: Sql, topics: ReadonlyMap<string, string>): Promise<Map<string, number>> {
  const lines = new Map<string, number>();
  const add = (line: string) => lines.set(line, (lines.get(line) ?? 0) + 1);
  const role = (topic: string | null) => (topic === null ? "none" : topics.get(topic) ?? topic);
  for (
    const row of await sql<{ line: string }[]>`
      select 'flight ' || flight_id || ' ' || departure_time || ' ' || arrival_time || ' ' ||
        array_to_string(bags, ',') as line from flight_versions`
  ) add(row.line);
  for (
    const row of await sql<{ line: string }[]>`
      select 'bag ' || bag_id || ' ' || array_to_string(flights, ',') as line from bag_itineraries`
  ) add(row.line);
  for (
    const row of await sql<{ line: string }[]>`
      select concat_ws(' ', 'work', flight_id, bag_id, 'r' || revision, arrival_time,
        coalesce(departure_time::text, 'removed'), coalesce(next_flight_id, '-')) as line from work_revisions`
  ) add(row.line);
  const deadLetters = await sql<{ topic: string; source_topic: string | null; reason: string; value: Buffer | null }[]>`
    select topic, source_topic, reason, value from dead_letters`;
  for (const row of deadLetters) {
    const digest = row.value === null ? "null" : createHash("sha1").update(row.value).digest("base64");
    add(`dead-letter ${role(row.topic)} from ${role(row.source_topic)}: ${row.reason} ${digest}`);
  }
  return lines;
}
