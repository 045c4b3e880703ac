/** What a chaos run feeds the workers: their environment, and the dataset's messages produced to Kafka. */
import type { Kafka } from "kafkajs";
import { createProducer, sendGroups } from "../../lib/infra/kafka.ts";
import { delay } from "../../lib/infra/poll.ts";
import { environment } from "../../lib/infra/runtime.ts";
import type { Phase } from "./dataset.ts";
import type { ChaosStack } from "./stack.ts";

/**
 * The environment of a worker process: the chaos stack, the run's topics and stream, its consumer group,
 * the run's archive schema, and nothing of the caller's but what Deno needs (no address or password of another stack).
 */
export function workerEnv(
  stack: ChaosStack,
  names: { flights: string; bags: string; work: string; stream: string },
  groupId: string,
  postgresUrl?: string,
): Record<string, string | undefined> {
  const inherited = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "NO_COLOR"];
  return {
    ...Object.fromEntries(inherited.map((name) => [name, environment()[name]])),
    KAFKA_BROKERS: stack.brokers,
    REDIS_URL: stack.redisUrl,
    LOG_LEVEL: "info",
    METRICS_PORT: "0",
    METRICS_HOST: "127.0.0.1",
    FLIGHTS_TOPIC: names.flights,
    BAGS_TOPIC: names.bags,
    WORK_TOPIC: names.work,
    WORK_STREAM: names.stream,
    KAFKA_GROUP_ID: groupId,
    KAFKA_PARTITIONS: "6",
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    SCAN_WINDOW_SECONDS: String(8 * 3600),
    // Scans are driven by starting scanner processes once a phase is consumed: a cron scan in the
    // middle of a phase would make the published work depend on timing.
    SCAN_SCHEDULE: "0 0 1 1 *",
    SCAN_CLAIM_SECONDS: "31",
    ...(postgresUrl ? { POSTGRES_URL: postgresUrl, HISTORY_PORT: "0", HISTORY_HOST: "127.0.0.1" } : {}),
  };
}

/**
 * Produces a phase's messages keyed by id, flights and bags interleaved, spread evenly over `overMs`. The
 * producer is idempotent: kafkajs retries a whole request when one partition fails, and a plain producer
 * then writes the other partitions' messages twice (seen right after topic creation).
 */
export async function producePhase(
  kafka: Kafka,
  topics: { flights: string; bags: string },
  phase: Phase,
  overMs: number,
): Promise<void> {
  const sends = [
    ...chunks(phase.flights, 100).map((records, i, all) => ({
      topic: topics.flights,
      records,
      at: (i + 1) / all.length,
    })),
    ...chunks(phase.bags, 1000).map((records, i, all) => ({ topic: topics.bags, records, at: (i + 1) / all.length })),
  ].sort((a, b) => a.at - b.at);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const start = Date.now();
    for (const [index, { topic, records }] of sends.entries()) {
      // The send's scheduled time (a production rate, not a wait for a condition).
      await delay(Math.max(0, start + (overMs * index) / sends.length - Date.now()));
      const messages = records.map((record) => ({ key: record.id, value: JSON.stringify(record) }));
      for (const group of sendGroups(messages)) await producer.send({ topic, acks: -1, messages: group });
    }
  } finally {
    await producer.disconnect();
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
