/**
 * The archive's ceiling: PostgreSQL's own `COPY … FROM STDIN` of exactly the rows the archiver wrote, into a
 * scratch schema with the same tables, indexes and day partitions, one stream per table at once. The rows are
 * first dumped to files (`COPY … TO STDOUT`, not timed), so that the timed part is the load alone.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { dayOf, listPartitions } from "../../lib/archive/partitions.ts";
import type { Sql } from "../../lib/infra/postgres.ts";
import { ROOT } from "../processes.ts";
import {
  ARCHIVE_TABLES,
  type ArchiveTable,
  CpuSources,
  createArchiveSchema,
  dropSchemas,
  ensureDays,
  postgresCpuSeconds,
  tableBytes,
  tableRows,
  withDeadline,
} from "./archive_db.ts";
import { BENCH_STACK_ENV } from "./bench_stack.ts";
import { cpuSeconds } from "./cpu.ts";

/** What the COPY of the archiver's rows took. */
export interface ArchiveCopy {
  readonly seconds: number;
  readonly rows: Record<ArchiveTable, number>;
  readonly bagRowsPerSecond: number;
  readonly rowsPerSecond: number;
  readonly bytesOnDisk: Record<ArchiveTable, number>;
  /** CPU seconds of the bench process (COPY's client) and of PostgreSQL's server over the load. */
  readonly cpuSeconds: Record<string, number>;
}

/** Rows a second below which a table's dump or load is taken for a hang. */
const MIN_ROWS_PER_SECOND = 2_000;

/** Loads the rows of `source` (the archiver's schema) into `schema` with COPY, timed; drops `schema` after. */
export async function copyCeiling(source: Sql, schema: string, postmaster: number): Promise<ArchiveCopy> {
  const dir = `${ROOT}${BENCH_STACK_ENV.STACK_DIR}/archive-copy`;
  mkdirSync(dir, { recursive: true });
  const file = (table: string) => `${dir}/${table}.copy`;
  const sourceRows = await tableRows(source);
  const deadline = (table: ArchiveTable) => 60_000 + (1000 * sourceRows[table]) / MIN_ROWS_PER_SECOND;
  const target = await createArchiveSchema(schema, ARCHIVE_TABLES.length);
  try {
    for (const table of ARCHIVE_TABLES) {
      await withDeadline(dump(source, table, file(table)), `COPY ${table} TO STDOUT`, deadline(table));
    }
    // The same partitions: every day the archiver made (its month partitions of archive_days follow).
    const days = (await listPartitions(source)).flatMap(({ name }) => {
      const day = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      return day ? [dayOf(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!))] : [];
    });
    await ensureDays(target, [...new Set(days)]);
    // Every connection open before the clock starts.
    await Promise.all(ARCHIVE_TABLES.map(() => target`select 1`));
    const cpu = new CpuSources({
      "bench (COPY client)": () => cpuSeconds(Deno.pid),
      postgres: () => postgresCpuSeconds(postmaster),
    }).start();
    const began = performance.now();
    await Promise.all(ARCHIVE_TABLES.map(async (table) => {
      const load = async () => {
        const writable = await target.unsafe(`copy ${table} from stdin`).writable();
        await pipeline(createReadStream(file(table)), writable);
      };
      await withDeadline(load(), `COPY ${table} FROM STDIN`, deadline(table));
    }));
    const seconds = (performance.now() - began) / 1000;
    const cpuUsed = cpu.stop();
    const rows = await tableRows(target);
    for (const table of ARCHIVE_TABLES) {
      if (rows[table] !== sourceRows[table]) {
        throw new Error(`COPY loaded ${rows[table]} rows into ${table}, the archiver wrote ${sourceRows[table]}`);
      }
    }
    const total = Object.values(rows).reduce((sum, count) => sum + count, 0);
    return {
      seconds,
      rows,
      bagRowsPerSecond: rows.bag_itineraries / seconds,
      rowsPerSecond: total / seconds,
      bytesOnDisk: await tableBytes(target),
      cpuSeconds: cpuUsed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas(target, [schema]).finally(() => target.end({ timeout: 5 }));
  }
}

/**
 * Writes `table`'s rows as COPY text to `path`. The rows are taken as they come, without backpressure: postgres.js
 * pauses its socket when a push is refused and resumes it on the next read only, so a refused last chunk left the
 * connection paused before its ReadyForQuery, and the pool's next query waited forever.
 */
async function dump(source: Sql, table: ArchiveTable, path: string): Promise<void> {
  const out = createWriteStream(path);
  const readable = await source.unsafe(`copy (select * from ${table}) to stdout`).readable();
  await new Promise<void>((resolve, reject) => {
    readable.on("data", (chunk: Buffer) => out.write(chunk));
    readable.once("end", resolve);
    readable.once("error", reject);
  });
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
