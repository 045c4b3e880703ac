/**
 * The archive stage's schemas in the bench PostgreSQL: each measurement gets a schema of its own
 * (`bench_archive_<run>_<use>`), migrated as the archiver migrates, reached through a URL whose search path
 * names it; the CPU of the PostgreSQL server processes; the archive's bytes on disk.
 */
import { applyMigrations } from "../../lib/archive/migrate.ts";
import { DAY_TABLES, MONTH_TABLE, Partitions } from "../../lib/archive/partitions.ts";
import { connectPostgres, type Sql } from "../../lib/infra/postgres.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { postgresPid } from "../stack/postgres_server.ts";
import { loadStackSettings } from "../stack/settings.ts";
import { BENCH_STACK_ENV, benchPostgresUrl } from "./bench_stack.ts";

/** Every schema the stage creates starts with this; a run drops those an earlier run left. */
export const SCHEMA_PREFIX = "bench_archive_";
/** The tables the archiver writes rows to (archive_offsets, its exactly-once record, aside). */
export const ARCHIVE_TABLES = [...DAY_TABLES, MONTH_TABLE] as const;
export type ArchiveTable = typeof ARCHIVE_TABLES[number];

/**
 * Partition DDL days per transaction: each new partition takes locks on itself, its indexes and its TOAST table,
 * and PostgreSQL's lock table holds 64 per connection (max_locks_per_transaction) by default.
 */
const DAYS_PER_TRANSACTION = 20;
/** Tables dropped per transaction, for the same reason. */
const DROPS_PER_TRANSACTION = 50;

/** The bench database with `schema` as its search path (a startup parameter postgres.js takes from the URL). */
export function schemaUrl(schema: string): string {
  const url = new URL(benchPostgresUrl());
  url.searchParams.set("search_path", schema);
  return url.toString();
}

/** A pool on `schema` of the bench database. */
export const connectSchema = (schema: string, max = 2) =>
  connectPostgres(schemaUrl(schema), `bench-${schema}`, undefined, max);

/** Creates `schema` with the archive's migrations applied (as the archiver applies them at start); returns a pool on it. */
export async function createArchiveSchema(schema: string, max = 2): Promise<Sql> {
  if (!/^[a-z0-9_]{1,63}$/.test(schema)) throw new Error(`not a schema name the bench makes: ${schema}`);
  const base = connectPostgres(benchPostgresUrl(), "bench-archive", undefined, 1);
  try {
    await dropSchemas(base, [schema]);
    await base.unsafe(`create schema ${schema}`);
  } finally {
    await base.end({ timeout: 5 });
  }
  const sql = connectSchema(schema, max);
  await applyMigrations(sql);
  return sql;
}

/** Makes sure `schema`'s tables have the partitions of `days` (day numbers), a few days per transaction. */
export async function ensureDays(sql: Sql, days: readonly number[]): Promise<void> {
  const partitions = new Partitions(sql);
  for (let i = 0; i < days.length; i += DAYS_PER_TRANSACTION) {
    await partitions.ensure(days.slice(i, i + DAYS_PER_TRANSACTION));
  }
}

/** Drops `schemas` (with what they hold), a few tables per transaction; with no list, those of earlier runs. */
export async function dropSchemas(sql: Sql, schemas?: readonly string[]): Promise<void> {
  const names = schemas ?? (await sql<{ name: string }[]>`
    select nspname as name from pg_namespace where starts_with(nspname, ${SCHEMA_PREFIX})`).map((row) => row.name);
  for (const schema of names) {
    // Partitions first (their parents' drop would take every lock at once).
    const tables = await sql<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind = 'r' and c.relispartition`;
    for (let i = 0; i < tables.length; i += DROPS_PER_TRANSACTION) {
      const batch = tables.slice(i, i + DROPS_PER_TRANSACTION).map(({ name }) => `${schema}.${name}`);
      await sql.unsafe(`drop table if exists ${batch.join(", ")}`);
    }
    await sql.unsafe(`drop schema if exists ${schema} cascade`);
  }
}

/** Bytes on disk of each archive table of the pool's schema: every partition with its indexes and TOAST. */
export async function tableBytes(sql: Sql): Promise<Record<ArchiveTable, number>> {
  const rows = await sql<{ name: ArchiveTable; bytes: string }[]>`
    select name, coalesce(sum(pg_total_relation_size(tree.relid)), 0) as bytes
    from unnest(${[...ARCHIVE_TABLES]}::text[]) name, pg_partition_tree(to_regclass(name)) tree
    group by name`;
  const bytes = Object.fromEntries(ARCHIVE_TABLES.map((table) => [table, 0])) as Record<ArchiveTable, number>;
  for (const row of rows) bytes[row.name] = Number(row.bytes);
  return bytes;
}

/** Rows of each archive table of the pool's schema. */
export async function tableRows(sql: Sql): Promise<Record<ArchiveTable, number>> {
  const rows = {} as Record<ArchiveTable, number>;
  for (const table of ARCHIVE_TABLES) {
    const [row] = await sql.unsafe<{ count: string }[]>(`select count(*) as count from ${table}`);
    rows[table] = Number(row?.count ?? 0);
  }
  return rows;
}

let ticksPerSecond: number | undefined;
const clockTicks = () => {
  if (ticksPerSecond === undefined) {
    const { stdout } = new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).outputSync();
    ticksPerSecond = Number(new TextDecoder().decode(stdout).trim()) || 100;
  }
  return ticksPerSecond;
};

/** The pid of the bench stack's postmaster. */
export function postmasterPid(): number {
  const pid = postgresPid(loadStackSettings({ ...environment(), ...BENCH_STACK_ENV }));
  if (pid === undefined) throw new Error("the bench stack's PostgreSQL is not running");
  return pid;
}

/**
 * CPU seconds used so far by PostgreSQL's server: the postmaster, the children it runs (backends, background
 * writer, WAL writer, checkpointer, autovacuum) and those it has reaped, so that a backend that ends mid-stage
 * still counts. One `cat` of every /proc/<pid>/stat (a line each): Deno reads other processes' /proc entries
 * only with --allow-all.
 */
export function postgresCpuSeconds(postmaster: number): number {
  const { stdout } = new Deno.Command("sh", { args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null"], stderr: "null" })
    .outputSync();
  let ticks = 0;
  let found = false;
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    // The command name is in parentheses and may hold spaces or parentheses.
    const close = line.lastIndexOf(") ");
    if (close < 0) continue;
    const pid = Number(line.slice(0, line.indexOf(" ")));
    // Fields after the name: ppid is the 2nd, utime and stime the 12th and 13th, cutime and cstime (reaped
    // children) the 14th and 15th.
    const fields = line.slice(close + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]);
    if (pid === postmaster) {
      found = true;
      ticks += own + Number(fields[13]) + Number(fields[14]);
    } else if (fields[1] === String(postmaster)) {
      ticks += own;
    }
  }
  return found ? ticks / clockTicks() : NaN;
}

/** CPU seconds of named sources between `start()` and `stop()` (pids or functions, e.g. PostgreSQL's server). */
export class CpuSources {
  private started: Record<string, number> = {};

  constructor(private readonly sources: Record<string, () => number>) {}

  start(): this {
    this.started = Object.fromEntries(Object.entries(this.sources).map(([name, read]) => [name, read()]));
    return this;
  }

  stop(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.sources).map(([name, read]) => [name, read() - (this.started[name] ?? 0)]),
    );
  }
}

/** `promise`, or an error naming `what` after `ms` (postgres.js can hang when a COPY fails). */
export function withDeadline<T>(promise: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
