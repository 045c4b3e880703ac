/**
 * The bench's own Redis, Kafka and PostgreSQL: `tools/stack/stack.ts` on ports and a folder of their own, so a run never
 * touches the dev stack or the test stack shared with other engineers.
 */
import { Kafka, logLevel } from "kafkajs";
import { kafkaClasspath } from "../stack/kafka_broker.ts";
import { stackPostgresUrl } from "../stack/postgres_server.ts";
import { loadStackSettings } from "../stack/settings.ts";
import { delay } from "../../lib/infra/poll.ts";
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { runToEnd, taskArgs } from "../processes.ts";

/** Where the bench stack runs. */
export const BENCH_STACK_ENV = {
  STACK_DIR: ".stack/bench",
  STACK_REDIS_PORT: "26379",
  STACK_KAFKA_PORT: "29092",
  STACK_KAFKA_CONTROLLER_PORT: "29093",
  STACK_POSTGRES_PORT: "25432",
} as const;

export const BENCH_BROKERS = `127.0.0.1:${BENCH_STACK_ENV.STACK_KAFKA_PORT}`;
/**
 * The bench's Redis; database 0 holds the pipeline's data, database 1 the ceilings' scratch data, database 2 the
 * baggage-messages stage's (baggage_messages.ts).
 */
export const benchRedisUrl = (db: number) => `redis://127.0.0.1:${BENCH_STACK_ENV.STACK_REDIS_PORT}/${db}`;

const stackEnv = () => ({ ...environment(), ...BENCH_STACK_ENV });

/** The bench's PostgreSQL database for the stack's role (its name and password as `stack up` created them). */
export const benchPostgresUrl = () => stackPostgresUrl(loadStackSettings(stackEnv()));

/** `deno task stack up|down` with the bench stack's settings, as a subprocess. */
export async function stack(command: "up" | "down"): Promise<void> {
  await runToEnd(Deno.execPath(), [...taskArgs("stack"), command], stackEnv());
}

/** The classpath of the cached Kafka jars (they include kafka-tools' performance classes). */
export function benchKafkaClasspath(): { classpath: string; log4j: string } {
  const settings = loadStackSettings(stackEnv());
  return {
    classpath: kafkaClasspath(settings),
    log4j: `-Dlog4j2.configurationFile=${settings.jarsDir}/log4j2.properties`,
  };
}

/** A kafkajs client for the bench broker that logs nothing. */
export function benchKafka(clientId = "bench"): Kafka {
  return new Kafka({ clientId, brokers: [BENCH_BROKERS], logLevel: logLevel.NOTHING });
}

/** A connection to database `db` of the bench Redis. */
export function benchRedis(db: 0 | 1 | 2): Promise<Redis> {
  return connectRedis(benchRedisUrl(db), `bench-db${db}`);
}

/**
 * Creates `topics` with `partitions` partitions each (the broker does not auto-create topics), retrying
 * a few times: a broker that just started or just deleted topics can answer "does not host this topic-partition".
 */
export async function createTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    } catch (error) {
      if (attempt >= 5) throw error;
      await delay(1_000 * attempt);
    } finally {
      await admin.disconnect();
    }
  }
}

/** Deletes the topics of earlier bench runs (names starting with `prefix`), so a kept stack does not fill the disk. */
export async function deleteOldTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const old = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (old.length > 0) await admin.deleteTopics({ topics: old, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Per partition: first offset and high watermark of `topic`. */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, { low: number; high: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<number, { low: number; high: number }>();
    for (const entry of await admin.fetchTopicOffsets(topic)) {
      ends.set(entry.partition, { low: Number(entry.low), high: Number(entry.high) });
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** Messages in `topic` (sum over partitions of high watermark minus first offset). */
export const messageCount = (ends: Map<number, { low: number; high: number }>) =>
  [...ends.values()].reduce((sum, { low, high }) => sum + high - low, 0);
