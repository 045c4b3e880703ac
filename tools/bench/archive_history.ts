/**
 * The history of one bag at scale: `bags` seeded bags (archive_seed.ts) COPYed straight into a schema of their
 * own over the retention's 400 day partitions, vacuumed and analyzed, then 1,000 lookups of random seeded bags, one after the
 * other, through the real history endpoint of an archiver process (reading empty topics of its own). The schema
 * is dropped at the end: at 10 million bags it holds gigabytes.
 */
import type { Writable } from "node:stream";
import { dayOf } from "../../lib/archive/partitions.ts";
import type { Sql } from "../../lib/infra/postgres.ts";
import { createArchiveSchema, dropSchemas, ensureDays, schemaUrl, tableBytes, withDeadline } from "./archive_db.ts";
import { HISTORY_DAYS, seedChunks, SEEDED_COLUMNS, SeededArchive, type SeededTable } from "./archive_seed.ts";
import { startWorker, type Worker } from "./workers.ts";
import { seededRandom } from "../seeded_random.ts";

const LOOKUPS = 1_000;
/** Lookups before the measured ones (the archiver's first queries connect and prepare their statements). */
const WARM_UP_LOOKUPS = 20;
const CHUNK_BAGS = 5_000;
/** The longest a chunk's write to PostgreSQL may take (postgres.js can hang when a COPY fails). */
const WRITE_DEADLINE_MS = 120_000;

export interface ArchiveHistory {
  readonly bags: number;
  readonly days: number;
  readonly rows: Record<SeededTable, number>;
  readonly seedSeconds: number;
  readonly seedRowsPerSecond: number;
  readonly analyzeSeconds: number;
  /** Bytes on disk of the seeded archive (every table, partition and index). */
  readonly bytesOnDisk: number;
  readonly bytesPerBag: number;
  readonly lookups: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface HistoryOptions {
  readonly bags: number;
  readonly seed: number;
  readonly schema: string;
  /** The archiver's environment: brokers, and topics of its own that stay empty. */
  readonly env: Record<string, string | undefined>;
}

/** Seeds, analyzes and looks up; drops the schema whatever happens. */
export async function historyStage(options: HistoryOptions, step: (message: string) => void): Promise<ArchiveHistory> {
  const sql = await createArchiveSchema(options.schema, 3);
  let worker: Worker | undefined;
  try {
    const today = dayOf(Date.now());
    const firstDay = today - (HISTORY_DAYS - 1);
    await ensureDays(sql, Array.from({ length: HISTORY_DAYS }, (_, i) => firstDay + i));
    const archive = new SeededArchive(options.seed, options.bags);
    step(`archive history: seeding ${options.bags} bags over ${HISTORY_DAYS} days with COPY`);
    const seeding = performance.now();
    const rows = await seed(sql, archive, firstDay);
    const seedSeconds = (performance.now() - seeding) / 1000;
    const analyzing = performance.now();
    // A vacuum, as the archive's steady state has had: without it the lookups race autovacuum's first pass over
    // the freshly loaded partitions (and set hint bits on the pages they read).
    await sql`vacuum (analyze) bag_itineraries, work_revisions, archive_days`;
    const analyzeSeconds = (performance.now() - analyzing) / 1000;
    const bytesOnDisk = Object.values(await tableBytes(sql)).reduce((sum, bytes) => sum + bytes, 0);

    const port = freePort();
    worker = await startWorker({
      service: "archiver",
      name: "archiver-history",
      env: {
        ...options.env,
        POSTGRES_URL: schemaUrl(options.schema),
        HISTORY_HOST: "127.0.0.1",
        HISTORY_PORT: `${port}`,
      },
    });
    step(`archive history: ${LOOKUPS} lookups of random seeded bags on /bags/<id>`);
    const random = seededRandom(options.seed ^ 0x4157);
    const lookup = async () => {
      const bag = archive.bag(Math.floor(random() * archive.bags));
      const began = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/bags/${bag.id}`);
      const body = await response.text();
      const ms = performance.now() - began;
      const history = response.ok ? JSON.parse(body) : undefined;
      if (history?.itineraries?.length !== bag.versions.length || history?.work?.length !== bag.workRows) {
        throw new Error(
          `GET /bags/${bag.id} answered ${response.status} ${body.slice(0, 300)}; ` +
            `expected ${bag.versions.length} itineraries and ${bag.workRows} work rows`,
        );
      }
      return ms;
    };
    for (let i = 0; i < WARM_UP_LOOKUPS; i++) await lookup();
    const times: number[] = [];
    for (let i = 0; i < LOOKUPS; i++) times.push(await lookup());
    times.sort((a, b) => a - b);
    const total = Object.values(rows).reduce((sum, count) => sum + count, 0);
    return {
      bags: options.bags,
      days: HISTORY_DAYS,
      rows,
      seedSeconds,
      seedRowsPerSecond: total / seedSeconds,
      analyzeSeconds,
      bytesOnDisk,
      bytesPerBag: bytesOnDisk / options.bags,
      lookups: LOOKUPS,
      p50Ms: times[Math.floor(LOOKUPS * 0.5)]!,
      p99Ms: times[Math.floor(LOOKUPS * 0.99)]!,
      maxMs: times[LOOKUPS - 1]!,
    };
  } finally {
    await worker?.stop();
    step("archive history: dropping the seeded schema");
    await dropSchemas(sql, [options.schema]).finally(() => sql.end({ timeout: 5 }));
  }
}

/** COPYs the seeded rows, one stream per table on a connection each, the next chunk generated while one is sent. */
async function seed(sql: Sql, archive: SeededArchive, firstDay: number): Promise<Record<SeededTable, number>> {
  const tables = Object.keys(SEEDED_COLUMNS) as SeededTable[];
  const streams = await Promise.all(
    tables.map((table) => sql.unsafe(`copy ${table} (${SEEDED_COLUMNS[table]}) from stdin`).writable()),
  );
  const rows = { bag_itineraries: 0, work_revisions: 0, archive_days: 0 };
  let pending: Promise<void>[] = [];
  for (const chunk of seedChunks(archive, firstDay, CHUNK_BAGS)) {
    await Promise.all(pending);
    pending = tables.map((table, i) =>
      withDeadline(write(streams[i]!, chunk.text[table]), `COPY ${table}`, WRITE_DEADLINE_MS)
    );
    for (const table of tables) rows[table] += chunk.rows[table];
  }
  await Promise.all(pending);
  await Promise.all(
    streams.map((stream, i) => withDeadline(finish(stream), `COPY ${tables[i]} (commit)`, WRITE_DEADLINE_MS)),
  );
  return rows;
}

const write = (stream: Writable, text: string) =>
  new Promise<void>((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));

/** Ends a COPY's stream; resolves once PostgreSQL has committed it. */
const finish = (stream: Writable) =>
  new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    stream.end(resolve);
  });

/** A port free on 127.0.0.1 now (the archiver binds it a moment later). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
