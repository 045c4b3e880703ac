import assert from "node:assert/strict";
import { applyMigrations, MigrationMismatch, MIGRATIONS } from "../../../lib/archive/migrate.ts";
import { testSchema } from "../../_helpers/postgres.ts";

Deno.test("applyMigrations() applies each migration once, records it, and refuses a file changed after it was applied", async () => {
  const schema = await testSchema();
  try {
    assert.deepEqual(await applyMigrations(schema.sql), [
      "0001_archive.sql",
      "0002_cheaper_indexes.sql",
      "0003_optional_manifest.sql",
      "0004_baggage_messages.sql",
    ]);
    assert.deepEqual(await applyMigrations(schema.sql), []);
    const recorded = await schema.sql`select version, name from schema_migrations order by version`;
    assert.deepEqual([...recorded], [
      { version: 1, name: "0001_archive.sql" },
      { version: 2, name: "0002_cheaper_indexes.sql" },
      { version: 3, name: "0003_optional_manifest.sql" },
      { version: 4, name: "0004_baggage_messages.sql" },
    ]);
    const tables = await schema.sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema.name} and c.relkind = 'r' order by 1`;
    assert.deepEqual(tables.map((row) => row.relname), ["archive_offsets", "schema_migrations"]);
    const partitioned = await schema.sql`select c.relname from pg_partitioned_table p
      join pg_class c on c.oid = p.partrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema.name} order by 1`;
    assert.deepEqual(partitioned.map((row) => row.relname), [
      "archive_days",
      "bag_events",
      "bag_itineraries",
      "dead_letters",
      "flight_versions",
      "work_revisions",
    ]);
    const changed = MIGRATIONS.map((migration) => ({ ...migration, sql: `${migration.sql}\n-- edited` }));
    await assert.rejects(applyMigrations(schema.sql, undefined, changed), MigrationMismatch);
  } finally {
    await schema.drop();
  }
});

Deno.test("applyMigrations() run by two replicas at once applies each migration exactly once", async () => {
  const schema = await testSchema();
  try {
    const results = await Promise.all([applyMigrations(schema.sql), applyMigrations(schema.sql)]);
    assert.deepEqual(results.flat(), [
      "0001_archive.sql",
      "0002_cheaper_indexes.sql",
      "0003_optional_manifest.sql",
      "0004_baggage_messages.sql",
    ]);
  } finally {
    await schema.drop();
  }
});

Deno.test("an archive made by the first migration gets the second's indexes, its rows kept", async () => {
  const schema = await testSchema();
  try {
    assert.deepEqual(await applyMigrations(schema.sql, undefined, MIGRATIONS.slice(0, 1)), ["0001_archive.sql"]);
    await schema.sql.unsafe(`create table work_revisions_p20260205 partition of work_revisions
      for values from ('2026-02-05 00:00:00+00') to ('2026-02-06 00:00:00+00');
      create table archive_days_p202602 partition of archive_days for values from ('2026-02-01') to ('2026-03-01');
      insert into work_revisions values ('FL_1', 'BAG_1', 1, '2026-02-05 10:00:00+00', 1770285600, 0, null, false,
        1770285000, '2026-02-05 09:50:00+00', 0, 7);
      insert into archive_days values ('bag', 'BAG_1', '2026-02-05')`);
    assert.deepEqual(await applyMigrations(schema.sql), [
      "0002_cheaper_indexes.sql",
      "0003_optional_manifest.sql",
      "0004_baggage_messages.sql",
    ]);
    const indexes = await schema.sql`select indexname, indexdef from pg_indexes
      where schemaname = ${schema.name} and tablename in ('work_revisions', 'archive_days') order by 1`;
    assert.deepEqual(indexes.map((row) => [row.indexname, row.indexdef.replace(/ ON .*USING/, " USING")]), [
      ["archive_days_id", "CREATE INDEX archive_days_id USING btree (id, kind, day)"],
      ["work_revisions_bag", "CREATE INDEX work_revisions_bag USING btree (bag_id)"],
      ["work_revisions_flight", "CREATE INDEX work_revisions_flight USING btree (flight_id, revision)"],
    ]);
    const kept = await schema.sql`select count(*)::int as n from work_revisions where bag_id = 'BAG_1'`;
    assert.deepEqual([...kept], [{ n: 1 }]);
  } finally {
    await schema.drop();
  }
});
