/**
 * The archive stage (issue 15): the real archiver as a subprocess drains the bench's flights, bags and work
 * topics (and their dead-letter topics) from the beginning into a fresh schema of the bench PostgreSQL, timed
 * from the moment its consumers are ready to the moment every partition's next offset is recorded; then
 * PostgreSQL's own COPY of the same rows (archive_ceiling.ts) and, with --archive-bags, the history of one bag
 * at scale (archive_history.ts). Every schema it made is dropped at the end.
 */
import { deadLetterTopic } from "../../lib/consume/dead_letters.ts";
import type { Kafka } from "../../lib/infra/kafka.ts";
import type { Sql } from "../../lib/infra/postgres.ts";
import { delay } from "../../lib/infra/poll.ts";
import {
  type ArchiveTable,
  connectSchema,
  CpuSources,
  createArchiveSchema,
  dropSchemas,
  postgresCpuSeconds,
  postmasterPid,
  SCHEMA_PREFIX,
  schemaUrl,
  tableBytes,
  tableRows,
} from "./archive_db.ts";
import { type ArchiveCopy, copyCeiling } from "./archive_ceiling.ts";
import { type ArchiveHistory, historyStage } from "./archive_history.ts";
import { createTopics, topicEnds } from "./bench_stack.ts";
import { cpuPerUnit, cpuSeconds } from "./cpu.ts";
import type { Rated } from "./report.ts";
import { startWorker, type Worker } from "./workers.ts";

const POLL_MS = 25;
const NO_PROGRESS_MS = 60_000;

export interface ArchiveStageOptions {
  readonly kafka: Kafka;
  /** The bench's topics holding the dataset. */
  readonly topics: { readonly flights: string; readonly bags: string; readonly work: string };
  readonly partitions: number;
  /** The archiver's environment as the other workers get theirs (brokers, these topics, a group of the run). */
  readonly env: Record<string, string | undefined>;
  readonly extraFlags: readonly string[];
  readonly runId: string;
  /** Bags of the dataset (bytes on disk are per bag). */
  readonly bags: number;
  /** Bags seeded for the history lookups; 0 leaves them out. */
  readonly historyBags: number;
  readonly seed: number;
  /** A topic name of this run (the history's archiver reads empty topics of its own). */
  readonly topic: (name: string) => string;
}

/** The archive stage's figures: `perSecond` is bag_itineraries rows a second, its ceiling COPY's. */
export interface ArchiveStage extends Rated {
  /** From the archiver's consumers ready to every offset recorded. */
  readonly seconds: number;
  /** From the archiver's spawn (start-up, migrations, group joins included). */
  readonly wallSeconds: number;
  readonly messages: number;
  readonly rows: Record<ArchiveTable, number>;
  readonly rowsPerSecond: { readonly bag_itineraries: number; readonly work_revisions: number; readonly all: number };
  readonly bytesOnDisk: Record<ArchiveTable, number>;
  readonly bytesPerBag: number;
  readonly copy: ArchiveCopy;
  /** CPU seconds of the archiver and of PostgreSQL's server over `seconds`. */
  readonly cpuSeconds: Record<string, number>;
  readonly peakRssBytes: number | undefined;
  readonly history?: ArchiveHistory;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((total, value) => total + value, 0);

/** Runs the stage; `step` reports progress. */
export async function archiveStage(
  options: ArchiveStageOptions,
  step: (message: string) => void,
): Promise<ArchiveStage> {
  const schema = (use: string) => `${SCHEMA_PREFIX}${options.runId}_${use}`;
  const base = connectSchema("public", 1);
  await dropSchemas(base).finally(() => base.end({ timeout: 5 }));
  const postmaster = postmasterPid();
  const sql = await createArchiveSchema(schema("stream"), 2);
  try {
    step("stage: archive (the archiver on the flights, bags and work topics, from the beginning)");
    const stream = await archiveTopics(sql, schema("stream"), postmaster, options);
    step("ceiling: COPY of the same rows into a scratch schema");
    const copy = await copyCeiling(sql, schema("copy"), postmaster);
    const history = options.historyBags > 0
      ? await historyStage({
        bags: options.historyBags,
        seed: options.seed,
        schema: schema("history"),
        env: {
          ...options.env,
          FLIGHTS_TOPIC: options.topic("history.flights"),
          BAGS_TOPIC: options.topic("history.bags"),
          WORK_TOPIC: options.topic("history.work"),
          KAFKA_GROUP_ID: `archiver-history-${options.runId}`,
        },
      }, step)
      : undefined;
    return {
      ...stream,
      perSecond: stream.rowsPerSecond.bag_itineraries,
      ceiling: { name: "COPY of the same rows", perSecond: copy.bagRowsPerSecond },
      copy,
      ...(history ? { history } : {}),
    };
  } finally {
    await dropSchemas(sql, [schema("stream")]).finally(() => sql.end({ timeout: 5 }));
  }
}

/**
 * The archiver from the beginning of the topics into `schema`. Until its consumers are ready, the bench holds
 * archive_offsets in EXCLUSIVE mode: every chunk's transaction writes its offset first, so none can commit before
 * the clock starts, while the archiver's reads of the offsets (ACCESS SHARE) go through.
 */
async function archiveTopics(sql: Sql, schema: string, postmaster: number, options: ArchiveStageOptions) {
  const { flights, bags, work } = options.topics;
  const archived = [flights, bags, work];
  const topics = [...archived, ...archived.map(deadLetterTopic)];
  await createTopics(options.kafka, topics.slice(3), options.partitions);
  const ends = new Map(
    await Promise.all(topics.map(async (topic) => [topic, await topicEnds(options.kafka, topic)] as const)),
  );
  const messages = [...ends.values()].flatMap((partitions) => [...partitions.values()])
    .reduce((total, { low, high }) => total + high - low, 0);
  const remaining = async () => {
    const recorded = new Map(
      (await sql<{ topic: string; partition: number; next: string }[]>`
        select topic, kafka_partition as partition, next_offset as next from archive_offsets`)
        .map((row) => [`${row.topic} ${row.partition}`, Number(row.next)]),
    );
    let left = 0;
    for (const [topic, partitions] of ends) {
      for (const [partition, { low, high }] of partitions) {
        left += high - Math.max(low, recorded.get(`${topic} ${partition}`) ?? 0);
      }
    }
    return left;
  };

  const locked = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const gate = sql.begin(async (tx) => {
    await tx`lock table archive_offsets in exclusive mode`;
    locked.resolve();
    await release.promise;
  });
  gate.catch((error) => locked.reject(error));
  await locked.promise;
  const spawned = performance.now();
  let worker: Worker | undefined;
  try {
    worker = await startWorker({
      service: "archiver",
      name: "archiver",
      env: { ...options.env, POSTGRES_URL: schemaUrl(schema), HISTORY_HOST: "127.0.0.1", HISTORY_PORT: "0" },
      extraFlags: options.extraFlags,
    });
    const { pid } = worker.child;
    const cpu = new CpuSources({ archiver: () => cpuSeconds(pid), postgres: () => postgresCpuSeconds(postmaster) });
    cpu.start();
    const began = performance.now();
    release.resolve();
    await gate;
    let left = await remaining();
    let moved = performance.now();
    while (left > 0) {
      await delay(POLL_MS);
      const now = await remaining();
      if (now < left) moved = performance.now();
      else if (performance.now() - moved > NO_PROGRESS_MS) {
        throw new Error(`the archiver made no progress for ${NO_PROGRESS_MS} ms, ${now} of ${messages} messages left`);
      }
      left = now;
    }
    const done = performance.now();
    const cpuUsed = cpu.stop();
    const peakRssBytes = await worker.stop();
    worker = undefined;
    const seconds = (done - began) / 1000;
    const rows = await tableRows(sql);
    const bytesOnDisk = await tableBytes(sql);
    return {
      seconds,
      wallSeconds: (done - spawned) / 1000,
      messages,
      rows,
      rowsPerSecond: {
        bag_itineraries: rows.bag_itineraries / seconds,
        work_revisions: rows.work_revisions / seconds,
        all: sum(rows) / seconds,
      },
      bytesOnDisk,
      bytesPerBag: sum(bytesOnDisk) / options.bags,
      cpuSeconds: cpuUsed,
      peakRssBytes,
    };
  } finally {
    release.resolve();
    await gate.catch(() => {});
    await worker?.stop();
  }
}

/** CPU microseconds per bag row and per row (of every table) of the archiver, or of COPY, with PostgreSQL's. */
export function archiveCpu(stage: ArchiveStage): Record<string, Record<string, number>> {
  const copyRows = sum(stage.copy.rows);
  return {
    "bag row, archived (all its rows' work)": cpuPerUnit(stage.cpuSeconds, stage.rows.bag_itineraries),
    "archive row, archived": cpuPerUnit(stage.cpuSeconds, sum(stage.rows)),
    "bag row, COPY alone (all its rows' work)": cpuPerUnit(stage.copy.cpuSeconds, stage.copy.rows.bag_itineraries),
    "archive row, COPY alone": cpuPerUnit(stage.copy.cpuSeconds, copyRows),
  };
}
