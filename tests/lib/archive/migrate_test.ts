import assert from "node:assert/strict";
import { applyMigrations, MigrationMismatch, MIGRATIONS } from "../../../lib/archive/migrate.ts";
import { testSchema } from "../../_helpers/postgres.ts";

Deno.test("applyMigrations() applies each migration once, records it, and refuses a file changed after it was applied", async () => {
  const schema = await testSchema();
  try {
    assert.deepEqual(await applyMigrations(schema.sql), ["0001_archive.sql"]);
    assert.deepEqual(await applyMigrations(schema.sql), []);
    const recorded = await schema.sql`select version, name from schema_migrations order by version`;
    assert.deepEqual([...recorded], [{ version: 1, name: "0001_archive.sql" }]);
    const tables = await schema.sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema.name} and c.relkind = 'r' order by 1`;
    assert.deepEqual(tables.map((row) => row.relname), ["archive_offsets", "schema_migrations"]);
    const partitioned = await schema.sql`select c.relname from pg_partitioned_table p
      join pg_class c on c.oid = p.partrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema.name} order by 1`;
    assert.deepEqual(partitioned.map((row) => row.relname), [
      "archive_days",
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
    assert.deepEqual(results.flat(), ["0001_archive.sql"]);
  } finally {
    await schema.drop();
  }
});
