/**
 * The test stack's PostgreSQL for tests: a schema of its own per test (the archive's tables and partitions
 * are created in the schema the search path names), so tests never see each other's rows.
 */
import { connectPostgres, type Sql } from "../../lib/infra/postgres.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { uniqueName } from "./fixtures.ts";
import { TEST_STACK_ENV } from "./test_stack.ts";

/** The test stack's PostgreSQL URL, unless the environment names another. */
export function testPostgresUrl(): string {
  return environment().POSTGRES_URL ?? TEST_STACK_ENV.POSTGRES_URL;
}

/** A schema of a test's own: `url` and `sql` reach its tables; `drop()` removes it with everything in it. */
export interface TestSchema {
  readonly name: string;
  /** POSTGRES_URL for a process working in this schema. */
  readonly url: string;
  readonly sql: Sql;
  drop(): Promise<void>;
}

/** Creates a fresh schema. */
export async function testSchema(): Promise<TestSchema> {
  const name = uniqueName("archive").replaceAll("-", "_");
  const base = testPostgresUrl();
  const admin = connectPostgres(base, "test-schema", undefined, 1);
  await admin.unsafe(`create schema ${name}`);
  await admin.end();
  const url = `${base}${base.includes("?") ? "&" : "?"}search_path=${name}`;
  const sql = connectPostgres(url, "test", undefined, 2);
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 2 });
      const cleanup = connectPostgres(base, "test-schema", undefined, 1);
      await cleanup.unsafe(`drop schema ${name} cascade`);
      await cleanup.end();
    },
  };
}
