/**
 * The archive's schema migrations: the numbered files of lib/archive/migrations/, those not yet applied run
 * in order in one transaction, with their records in `schema_migrations`. An advisory lock makes replicas
 * that start together apply each file once; a file changed after it was applied stops the start (its checksum
 * differs), since the database would no longer match what the code expects.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../infra/postgres.ts";
import type { Logger } from "../infra/log.ts";
import archive0001 from "./migrations/0001_archive.sql" with { type: "text" };
import cheaperIndexes0002 from "./migrations/0002_cheaper_indexes.sql" with { type: "text" };
import optionalManifest0003 from "./migrations/0003_optional_manifest.sql" with { type: "text" };
import baggageMessages0004 from "./migrations/0004_baggage_messages.sql" with { type: "text" };

/** A migration: its version (the file's number), its name and its SQL. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order (imported as text, so that a compiled binary embeds them). */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_archive.sql", sql: archive0001 },
  { version: 2, name: "0002_cheaper_indexes.sql", sql: cheaperIndexes0002 },
  { version: 3, name: "0003_optional_manifest.sql", sql: optionalManifest0003 },
  { version: 4, name: "0004_baggage_messages.sql", sql: baggageMessages0004 },
];

/** The advisory lock the migrations hold (any constant unique to this project). */
const MIGRATION_LOCK = 7_301_745;

/** A migration already applied differs from the file: the schema is not what the code expects. */
export class MigrationMismatch extends Error {
  override name = "MigrationMismatch";
  constructor(readonly migration: string) {
    super(`migration ${migration} was changed after it was applied; restore the file or migrate the database by hand`);
  }
}

const checksum = (sql: string) => createHash("sha256").update(sql).digest("hex");

/** Applies the migrations `sql` lacks; returns the names of those it applied. */
export async function applyMigrations(
  sql: Sql,
  logger?: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`;
    const done = new Map(
      (await tx<{ version: number; checksum: string }[]>`select version, checksum from schema_migrations`)
        .map((row) => [row.version, row.checksum]),
    );
    for (const migration of migrations) {
      const recorded = done.get(migration.version);
      if (recorded !== undefined) {
        if (recorded !== checksum(migration.sql)) throw new MigrationMismatch(migration.name);
        continue;
      }
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version, name, checksum)
        values (${migration.version}, ${migration.name}, ${checksum(migration.sql)})`;
      applied.push(migration.name);
      logger?.info({ migration: migration.name }, "archive migration applied");
    }
  });
  return applied;
}
