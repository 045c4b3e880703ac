import assert from "node:assert/strict";
import { applyMigrations } from "../../../lib/archive/migrate.ts";
import { dayOf, dropPartitionsBefore, listPartitions, Partitions } from "../../../lib/archive/partitions.ts";
import { testSchema } from "../../_helpers/postgres.ts";

const day = (iso: string) => dayOf(Date.parse(`${iso}T00:00:00Z`));

Deno.test("Partitions.ensure() creates one partition per day of each table and one per month of archive_days", async () => {
  const schema = await testSchema();
  try {
    await applyMigrations(schema.sql);
    const partitions = new Partitions(schema.sql);
    await partitions.ensure([day("2026-01-31"), day("2026-02-01"), day("2026-01-31")]);
    await partitions.ensure([day("2026-02-01")]);
    assert.deepEqual((await listPartitions(schema.sql)).map((p) => p.name).sort(), [
      "archive_days_p202601",
      "archive_days_p202602",
      "bag_events_p20260131",
      "bag_events_p20260201",
      "bag_itineraries_p20260131",
      "bag_itineraries_p20260201",
      "dead_letters_p20260131",
      "dead_letters_p20260201",
      "flight_versions_p20260131",
      "flight_versions_p20260201",
      "work_revisions_p20260131",
      "work_revisions_p20260201",
    ]);
    const [bounds] = await schema.sql`select pg_get_expr(relpartbound, oid) as bounds from pg_class
      where relname = 'bag_itineraries_p20260131' and relnamespace = ${schema.name}::regnamespace`;
    assert.equal(bounds!.bounds, "FOR VALUES FROM ('2026-01-31 00:00:00+00') TO ('2026-02-01 00:00:00+00')");
  } finally {
    await schema.drop();
  }
});

Deno.test("dropPartitionsBefore() drops the partitions wholly before the cutoff day, with their rows, and keeps the rest", async () => {
  const schema = await testSchema();
  try {
    await applyMigrations(schema.sql);
    const partitions = new Partitions(schema.sql);
    await partitions.ensure([day("2026-01-30"), day("2026-01-31"), day("2026-02-01")]);
    for (const iso of ["2026-01-30T23:59:59Z", "2026-01-31T00:00:00Z", "2026-02-01T12:00:00Z"]) {
      await schema.sql`insert into bag_itineraries (bag_id, flights, kafka_time, kafka_partition, kafka_offset)
        values (${`BAG_${iso}`}, '{FL_A}', ${iso}, 0, 0)`;
    }
    const dropped = await dropPartitionsBefore(schema.sql, day("2026-01-31"));
    assert.deepEqual(dropped, [
      "bag_events_p20260130",
      "bag_itineraries_p20260130",
      "dead_letters_p20260130",
      "flight_versions_p20260130",
      "work_revisions_p20260130",
    ]);
    const left = await schema.sql`select bag_id from bag_itineraries order by kafka_time`;
    assert.deepEqual(left.map((row) => row.bag_id), ["BAG_2026-01-31T00:00:00Z", "BAG_2026-02-01T12:00:00Z"]);
    // archive_days' January partition holds days up to the 31st, which is still kept.
    assert.deepEqual(await dropPartitionsBefore(schema.sql, day("2026-02-01")), [
      "archive_days_p202601",
      "bag_events_p20260131",
      "bag_itineraries_p20260131",
      "dead_letters_p20260131",
      "flight_versions_p20260131",
      "work_revisions_p20260131",
    ]);
  } finally {
    await schema.drop();
  }
});
