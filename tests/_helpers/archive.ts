/** Runs the archiver in-process on a test schema, and reads the archive's rows back in a fixed order. */
import { Registry } from "prom-client";
import { startArchiver } from "../../lib/archive/archiver.ts";
import { type Clock, systemClock } from "../../lib/infra/clock.ts";
import type { Config } from "../../lib/infra/config.ts";
import { createKafka } from "../../lib/infra/kafka.ts";
import { connectPostgres, type Sql } from "../../lib/infra/postgres.ts";
import { testLogger } from "./fixtures.ts";
import type { TestSchema } from "./postgres.ts";

/** Starts an archiver on `config`'s topics, writing into `schema`. */
export async function startTestArchiver(config: Config, schema: TestSchema, clock: Clock = systemClock) {
  const logger = testLogger("archiver");
  const postgres = connectPostgres(schema.url, "test-archiver", logger);
  const registry = new Registry();
  const archiver = await startArchiver({
    config,
    logger,
    registry,
    clock,
    kafka: createKafka(config, logger),
    postgres,
  });
  return {
    registry,
    historyUrl: `http://127.0.0.1:${archiver.historyPort}`,
    async close() {
      await archiver.close();
      await postgres.end({ timeout: 2 });
    },
  };
}

/** Every archived row of the four tables (Kafka times as ISO strings), in a fixed order. */
export async function archivedRows(sql: Sql) {
  const iso = (rows: Record<string, unknown>[]) =>
    rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]))
    );
  return {
    flight_versions: iso(
      await sql`select flight_id, departure_time::text, arrival_time::text, bags, kafka_partition,
        kafka_offset::text, kafka_time from flight_versions order by kafka_partition, kafka_offset`,
    ),
    bag_itineraries: iso(
      await sql`select bag_id, flights, kafka_partition, kafka_offset::text, kafka_time
        from bag_itineraries order by kafka_partition, kafka_offset`,
    ),
    work_revisions: iso(
      await sql`select flight_id, bag_id, revision::int, arrival_at, departure_time::text, next_flight_id, removed,
        scanned_at::text, kafka_partition, kafka_offset::text from work_revisions
        order by kafka_partition, kafka_offset, removed, bag_id`,
    ),
    dead_letters: iso(
      await sql`select topic, kafka_partition, kafka_offset::text, reason, source_topic, source_partition,
        source_offset::text, message_key, convert_from(value, 'UTF8') as value from dead_letters
        order by topic, kafka_partition, kafka_offset`,
    ),
  };
}

/** How many rows each table holds. */
export async function rowCounts(sql: Sql): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, string>[]>`select
    (select count(*) from flight_versions) as flight_versions,
    (select count(*) from bag_itineraries) as bag_itineraries,
    (select count(*) from work_revisions) as work_revisions,
    (select count(*) from dead_letters) as dead_letters`;
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}
