/**
 * The archiver as it runs in production, a child process, under faults: SIGKILLed mid-batch, its
 * PostgreSQL restarted, two replicas sharing the topics. Each run must leave exactly the rows of the
 * messages sent, once each. PostgreSQL here is one of these tests' own (port 47432), restarted at will.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { connectPostgres, type Sql } from "../../lib/infra/postgres.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { crashPostgres, stackPostgresUrl, startPostgres, stopPostgres } from "../../tools/stack/postgres_server.ts";
import { loadStackSettings } from "../../tools/stack/settings.ts";
import { isolatedEnvironment, produce, testKafka } from "../_helpers/fixtures.ts";
import { startWorker, waitUntilStarted, type WorkerProcess } from "../_helpers/processes.ts";

const PG = loadStackSettings({
  STACK_DIR: ".stack/archiver-test",
  STACK_REDIS_PORT: "47379",
  STACK_KAFKA_PORT: "47092",
  STACK_KAFKA_CONTROLLER_PORT: "47093",
  STACK_POSTGRES_PORT: "47432",
  STACK_START_TIMEOUT_SECONDS: "60",
});
const byId = (value: unknown) => (value as { id: string }).id;
const T = Math.floor(Date.now() / 1000);

/** Bag messages with updates of earlier bags, and work revisions of a few bags each. */
function dataset(bags: number) {
  const bagMessages = [];
  for (let i = 0; i < bags; i++) {
    bagMessages.push({ id: `BAG_${i}`, flights: [`FL_${i % 100}`, `FL_${(i + 7) % 100}`] });
  }
  for (let i = 0; i < bags; i += 4) bagMessages.push({ id: `BAG_${i}`, flights: [`FL_${i % 100}`] });
  const work = [];
  for (let revision = 1; revision <= 3; revision++) {
    for (let f = 0; f < 100; f++) {
      const ids = Array.from({ length: 10 }, (_, b) => `BAG_${f + 100 * b}`);
      work.push({
        id: `FL_${f}`,
        arrival_time: T + 600 + f,
        bags: Object.fromEntries(ids.map((bag, b) => [bag, b % 2 === 0 ? T + 7200 : 0])),
        next_flights: Object.fromEntries(ids.map((bag, b) => [bag, b % 2 === 0 ? `FL_${(f + 7) % 100}` : null])),
        revision,
        scanned_at: T + revision,
        removed_bags: [],
      });
    }
  }
  return { bagMessages, work };
}

/** The archive's rows as sorted text lines, and the offsets it records. */
async function archive(sql: Sql) {
  const bags = await sql`select bag_id || ' ' || array_to_string(flights, '>') || ' ' || kafka_partition || ':' ||
    kafka_offset as line from bag_itineraries order by 1`;
  const work = await sql`select flight_id || ' ' || bag_id || ' r' || revision || ' ' || departure_time as line
    from work_revisions order by 1`;
  const offsets = await sql`select topic, kafka_partition, next_offset::int from archive_offsets
    order by topic, kafka_partition`;
  return { bags: bags.map((row) => row.line), work: work.map((row) => row.line), offsets: [...offsets] };
}

const count = async (sql: Sql, table: "bag_itineraries" | "work_revisions") =>
  Number((await sql`select count(*) from ${sql(table)}`)[0]!.count);

/** The rows a fault-free archiver leaves: one per bag message and per bag of each revision. */
function expectedWork(work: ReturnType<typeof dataset>["work"]) {
  return work.flatMap((message) =>
    Object.entries(message.bags).map(([bag, departure]) => `${message.id} ${bag} r${message.revision} ${departure}`)
  ).sort();
}

/** An archiver's environment on topics of its own, archiving into `url`, in small chunks (many transactions). */
function archiverRun(url: string) {
  const env = isolatedEnvironment("archiver", {
    POSTGRES_URL: url,
    ARCHIVE_BATCH_SIZE: "200",
    HISTORY_PORT: "0",
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    LOG_LEVEL: "info",
  });
  const config = loadConfig("archiver", env);
  return { env, config, kafka: testKafka(config) };
}

async function withOwnPostgres(run: (url: string, sql: Sql) => Promise<void>) {
  await startPostgres(PG);
  const url = stackPostgresUrl(PG);
  const admin = connectPostgres(url, "archiver-test", undefined, 1);
  await admin.unsafe("drop schema if exists public cascade; create schema public");
  await admin.end();
  const sql = connectPostgres(url, "archiver-test", undefined, 2);
  try {
    await run(url, sql);
  } finally {
    await sql.end({ timeout: 2 });
    await stopPostgres(PG);
  }
}

Deno.test({
  name:
    "an archiver SIGKILLed twice mid-batch and a PostgreSQL crash and restart leave exactly the rows of a fault-free run",
  async fn() {
    await withOwnPostgres(async (url, sql) => {
      const { env, config, kafka } = archiverRun(url);
      const { bagMessages, work } = dataset(20_000);
      await produce(kafka, config.topics.bags, bagMessages, byId);
      await produce(kafka, config.topics.work, work, byId);
      let worker: WorkerProcess | undefined;
      try {
        for (const fraction of [1 / 3, 2 / 3]) {
          worker = startWorker("workers/archiver.ts", env);
          await waitFor(
            async () => await count(sql, "bag_itineraries") >= bagMessages.length * fraction,
            90_000,
            () => worker!.output(),
          );
          assert.equal(await worker.kill("SIGKILL"), null);
        }
        worker = startWorker("workers/archiver.ts", env);
        await waitUntilStarted(worker, "archiver");
        // PostgreSQL crashes under the archiver (what it had not flushed is lost), and more bags arrive while it is
        // away, so that a chunk is in flight against the dead server whether or not the crash caught one; then it
        // comes back.
        await waitFor(async () => await count(sql, "bag_itineraries") >= bagMessages.length * 0.7, 90_000);
        await crashPostgres(PG);
        const late = Array.from({ length: 2_000 }, (_, i) => ({ id: `BAG_LATE_${i}`, flights: [`FL_${i % 100}`] }));
        await produce(kafka, config.topics.bags, late, byId);
        await waitFor(
          () => /storing in PostgreSQL failed; retrying/.test(worker!.output()),
          60_000,
          () => worker!.output(),
        );
        await startPostgres(PG);
        bagMessages.push(...late);
        // An archiver that exits on its own (an error it cannot retry) is restarted, as its supervisor would, and
        // its last output shown: the rows must still come out exact.
        const restarts: string[] = [];
        await waitFor(
          async () => {
            if (!worker!.isRunning()) {
              restarts.push(worker!.output().slice(-3000));
              worker = startWorker("workers/archiver.ts", env);
            }
            return await count(sql, "bag_itineraries") >= bagMessages.length &&
              await count(sql, "work_revisions") >= work.length * 10;
          },
          90_000,
          () => worker!.output(),
        );
        if (restarts.length > 0) {
          console.error(`the archiver exited on its own ${restarts.length} times:\n${restarts.join("\n---\n")}`);
        }
        await waitUntilStarted(worker, "archiver");
        assert.equal(await worker.kill("SIGTERM"), 0, "SIGTERM is a graceful stop with exit code 0");
        const rows = await archive(sql);
        assert.equal(rows.bags.length, bagMessages.length);
        assert.deepEqual(
          rows.bags.map((line) => line.split(" ").slice(0, 2).join(" ")),
          bagMessages.map((bag) => `${bag.id} ${bag.flights.join(">")}`).sort(),
        );
        assert.equal(
          new Set(rows.bags.map((line) => line.split(" ")[2])).size,
          bagMessages.length,
          "one row per offset",
        );
        assert.deepEqual(rows.work, expectedWork(work));
      } finally {
        await worker?.kill("SIGKILL");
      }
    });
  },
});

Deno.test({
  name: "two archiver replicas share the topics, one is SIGKILLed midway, and every message is archived exactly once",
  async fn() {
    await withOwnPostgres(async (url, sql) => {
      const { env, config, kafka } = archiverRun(url);
      const { bagMessages, work } = dataset(20_000);
      const replicas = [startWorker("workers/archiver.ts", env), startWorker("workers/archiver.ts", env)];
      try {
        await Promise.all(replicas.map((replica) => waitUntilStarted(replica, "archiver")));
        await produce(kafka, config.topics.bags, bagMessages, byId);
        await produce(kafka, config.topics.work, work, byId);
        await waitFor(
          async () => await count(sql, "bag_itineraries") >= bagMessages.length / 2,
          90_000,
          () => replicas[0]!.output(),
        );
        assert.equal(await replicas[1]!.kill("SIGKILL"), null);
        await waitFor(
          async () =>
            await count(sql, "bag_itineraries") >= bagMessages.length &&
            await count(sql, "work_revisions") >= work.length * 10,
          90_000,
          () => replicas[0]!.output(),
        );
        assert.equal(await replicas[0]!.kill("SIGTERM"), 0);
        const rows = await archive(sql);
        assert.equal(rows.bags.length, bagMessages.length);
        assert.equal(
          new Set(rows.bags.map((line) => line.split(" ")[2])).size,
          bagMessages.length,
          "one row per offset",
        );
        assert.deepEqual(rows.work, expectedWork(work));
        const partitions = config.kafka.partitions;
        assert.equal(rows.offsets.filter((row) => row.topic === config.topics.bags).length, partitions);
        assert.equal(
          rows.offsets.filter((row) => row.topic === config.topics.bags).reduce((sum, row) => sum + row.next_offset, 0),
          bagMessages.length,
          "the recorded offsets add up to the messages of the topic",
        );
      } finally {
        for (const replica of replicas) await replica.kill("SIGKILL");
      }
    });
  },
});
