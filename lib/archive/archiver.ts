/**
 * The archiver: a BatchConsumer per archived topic (flights, bags, the work topic and their dead-letter
 * topics) into PostgreSQL, exactly once (archive_store.ts); the schema migrated at start; partitions made
 * ahead and dropped past ARCHIVE_RETENTION_DAYS every hour; the history endpoint on HISTORY_PORT.
 *
 * Each topic has a consumer group of its own (`<KAFKA_GROUP_ID>.<topic>`): kafkajs' assigner hands every
 * subscribed topic to every member of a group, so members with different subscriptions must not share one.
 */
import { Counter, type Registry } from "prom-client";
import { BatchConsumer } from "../consume/batch_consumer.ts";
import { ARCHIVER_METRICS, createConsumerMetrics } from "../consume/consumer_metrics.ts";
import { deadLetterTopic } from "../consume/dead_letters.ts";
import type { Config } from "../infra/config.ts";
import { ensureTopics, ensureWorkTopics } from "../infra/kafka.ts";
import { errorMessage } from "../infra/log.ts";
import type { ServiceContext } from "../infra/service.ts";
import { type ArchivedKind, archivedMessage } from "./archived_messages.ts";
import { archiveStore } from "./archive_store.ts";
import { startHistoryServer } from "./history_server.ts";
import { applyMigrations } from "./migrate.ts";
import { dayOf, dropPartitionsBefore, Partitions } from "./partitions.ts";
import { RecentArchiveDays } from "./recent_days.ts";

const RETENTION_CHECK_MS = 3_600_000;

/** The archived topics, by what their messages are. */
export function archivedTopics(config: Config): [string, ArchivedKind][] {
  const { flights, bags, baggageMessages, work } = config.topics;
  return [
    [flights, "flight"],
    [bags, "bag"],
    [baggageMessages, "baggage-message"],
    [work, "work"],
    ...[flights, bags, baggageMessages, work].map((
      topic,
    ): [string, ArchivedKind] => [deadLetterTopic(topic), "dead-letter"]),
  ];
}

/** The first day still kept at `nowMs`. */
export const retentionCutoffDay = (nowMs: number, retentionDays: number) => dayOf(nowMs) - retentionDays;

function archiverMetrics(registry: Registry) {
  const registers = [registry];
  return {
    rows: new Counter({
      name: "archive_rows_total",
      help: "Rows written to the archive, by table",
      labelNames: ["table"],
      registers,
    }),
    skipped: new Counter({
      name: "archive_skipped_messages_total",
      help: "Messages not archived: invalid ones (archived from the dead-letter topic) and those past retention",
      labelNames: ["topic"],
      registers,
    }),
    partitionsDropped: new Counter({
      name: "archive_partitions_dropped_total",
      help: "Partitions dropped past ARCHIVE_RETENTION_DAYS",
      registers,
    }),
  };
}

/** Builds and starts the archiver. */
export async function startArchiver(context: ServiceContext<"kafka" | "postgres">) {
  const { config, logger, registry, kafka, postgres: sql, clock } = context;
  await applyMigrations(sql, logger);
  const partitions = new Partitions(sql);
  const today = dayOf(clock() * 1000);
  await partitions.ensure([today, today + 1]);
  const metrics = archiverMetrics(registry);
  const cutoffDay = () => retentionCutoffDay(clock() * 1000, config.archive.retentionDays);
  const dropExpired = async () => {
    try {
      const dropped = await dropPartitionsBefore(sql, cutoffDay());
      if (dropped.length > 0) partitions.forget();
      metrics.partitionsDropped.inc(dropped.length);
      if (dropped.length > 0) logger.info({ partitions: dropped.length }, "archive partitions past retention dropped");
      const now = dayOf(clock() * 1000);
      await partitions.ensure([now, now + 1]);
    } catch (error) {
      logger.warn({ err: errorMessage(error) }, "archive retention failed; retried at the next check");
    }
  };
  await dropExpired();
  const retention = setInterval(() => void dropExpired(), RETENTION_CHECK_MS);

  const topics = archivedTopics(config);
  await ensureTopics(kafka, config, topics.filter(([, kind]) => kind !== "work").map(([topic]) => topic));
  await ensureWorkTopics(kafka, config);
  const consumerMetrics = createConsumerMetrics(registry, ARCHIVER_METRICS);
  const recentDays = new RecentArchiveDays();
  const consumers = topics.map(([topic, kind]) => {
    metrics.skipped.inc({ topic }, 0);
    return new BatchConsumer({
      kafka,
      topic,
      groupId: `${config.kafka.groupId}.${topic}`,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      chunkSize: config.archive.batchSize,
      partitionsConcurrently: config.consumer.partitionsConcurrently,
      parse: (message) => archivedMessage(kind, message, config.limits),
      ...archiveStore({
        sql,
        topic,
        partitions,
        cutoffDay,
        recentDays,
        onStored: (counts, skipped) => {
          for (const [table, rows] of Object.entries(counts)) if (rows > 0) metrics.rows.inc({ table }, rows);
          if (skipped > 0) metrics.skipped.inc({ topic }, skipped);
        },
      }),
      metrics: consumerMetrics,
      storeName: "PostgreSQL",
      logger: logger.child({ topic }),
    });
  });
  for (const table of ["flight_versions", "bag_itineraries", "work_revisions", "dead_letters", "bag_events"]) {
    metrics.rows.inc({ table }, 0);
  }
  await Promise.all(consumers.map((consumer) => consumer.start()));
  const history = await startHistoryServer(sql, config.archive.historyHost, config.archive.historyPort, logger);
  logger.info({ history_port: history.port }, "history endpoint listening");
  return {
    historyPort: history.port,
    async close() {
      clearInterval(retention);
      await history.close();
      await Promise.all(consumers.map((consumer) => consumer.close()));
    },
  };
}
