/**
 * Fixtures for tests against the real Kafka and Redis of the test stack (`deno task test` starts it):
 * unique topic names per test, a flushed Redis database, producing and reading topics, metric values.
 */
import { Buffer } from "node:buffer";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import type { Registry } from "prom-client";
import { type Config, loadConfig } from "../../lib/infra/config.ts";
import type { ServiceName } from "../../lib/processes.ts";
import { createLogger, type Logger } from "../../lib/infra/log.ts";
import { createTopicsIfMissing, sendGroups } from "../../lib/infra/kafka.ts";
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { TEST_STACK_ENV } from "./test_stack.ts";

/** The environment tests run with: the test stack's addresses unless the caller's environment overrides them. */
export function testEnvironment(overrides: Record<string, string> = {}): Record<string, string | undefined> {
  const env = environment();
  return {
    ...env,
    KAFKA_BROKERS: env.KAFKA_BROKERS ?? TEST_STACK_ENV.KAFKA_BROKERS,
    // TEST_REDIS_DB lets parallel runs share the test Redis without flushing each other's data.
    REDIS_URL: `${env.REDIS_URL ?? TEST_STACK_ENV.REDIS_URL}/${env.TEST_REDIS_DB ?? "0"}`,
    POSTGRES_URL: env.POSTGRES_URL ?? TEST_STACK_ENV.POSTGRES_URL,
    LOG_LEVEL: env.TEST_LOG_LEVEL ?? "warn",
    METRICS_PORT: "0",
    METRICS_HOST: "127.0.0.1",
    ...overrides,
  };
}

let counter = 0;
/** A name no other test uses (for topics and consumer groups). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

/** A test environment with topics and a consumer group of its own, so tests never see each other's messages. */
export function isolatedEnvironment(service: ServiceName, overrides: Record<string, string> = {}) {
  const id = uniqueName("t");
  return testEnvironment({
    FLIGHTS_TOPIC: `flights-${id}`,
    BAGS_TOPIC: `bags-${id}`,
    WORK_TOPIC: `work-${id}`,
    BAGGAGE_MESSAGES_TOPIC: `baggage-messages-${id}`,
    WORK_STREAM: `stream:work-${id}`,
    KAFKA_GROUP_ID: `${service}-${id}`,
    KAFKA_PARTITIONS: "3",
    ...overrides,
  });
}

/** A configuration for `service` in an isolated environment. */
export function testConfig(service: ServiceName, overrides: Record<string, string> = {}): Config {
  return loadConfig(service, isolatedEnvironment(service, overrides));
}

/** A quiet logger for tests. */
export function testLogger(service = "test"): Logger {
  return createLogger(service, testEnvironment().LOG_LEVEL);
}

/** A Redis connection to the test database, emptied first. */
export async function freshRedis(config: Config): Promise<Redis> {
  const redis = await connectRedis(config.redisUrl, "test");
  await redis.flushdb();
  return redis;
}

/** A kafkajs client for the test broker that logs nothing. */
export function testKafka(config: Config): Kafka {
  return new Kafka({ clientId: "test", brokers: [...config.kafka.brokers], logLevel: logLevel.NOTHING });
}

/** Creates `topic` with `partitions` partitions unless it exists (the broker does not auto-create topics). */
export function createTopic(kafka: Kafka, topic: string, partitions = 3): Promise<void> {
  return createTopicsIfMissing(kafka, [topic], partitions, 1);
}

/**
 * Produces JSON (or raw string/bytes) values to `topic` (created if missing), keyed by `key(value)`
 * when given, and waits for the acks.
 */
export async function produce(
  kafka: Kafka,
  topic: string,
  values: readonly unknown[],
  key?: (value: unknown, index: number) => string | null,
): Promise<void> {
  await createTopic(kafka, topic);
  await produceToExistingTopic(kafka, topic, values, key);
}

/**
 * Produces like produce() to a topic known to exist, without the admin's topic listing: kafkajs gives up a listing
 * whose metadata request meets a broker just killed, where a producer's send retries until the new leaders are known.
 */
export async function produceToExistingTopic(
  kafka: Kafka,
  topic: string,
  values: readonly unknown[],
  key?: (value: unknown, index: number) => string | null,
): Promise<void> {
  // Idempotent, so a request kafkajs retries after a timeout never duplicates messages in the topic.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const messages = values.map((value, index) => ({
      key: key?.(value, index) ?? null,
      value: value instanceof Uint8Array
        ? Buffer.from(value)
        : typeof value === "string"
        ? value
        : JSON.stringify(value),
    }));
    for (const group of sendGroups(messages)) await producer.send({ topic, acks: -1, messages: group });
  } finally {
    await producer.disconnect();
  }
}

/** A message read back from a topic. */
export interface ReadMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning until at least `count` messages arrived (then waits `settleMs`
 * more to catch extra ones, so tests can assert "exactly"), or throws after `timeoutMs`.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  { timeoutMs = 30_000, settleMs = 1_500 } = {},
): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), maxWaitTimeInMs: 200 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? ""]),
          ),
        });
      },
    });
    await waitFor(
      () => messages.length >= count,
      timeoutMs,
      () => `read ${messages.length} of ${count} messages from ${topic}`,
    );
    const seen = messages.length;
    await waitFor(() => messages.length > seen, settleMs).catch(() => {});
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/** The current value of metric `name` with exactly `labels` in `registry` (0 when never set). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric named ${name}`);
  const { values } = await metric.get();
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const match = values.find((value) =>
    JSON.stringify(Object.entries(value.labels).map(([k, v]) => [k, String(v)]).sort()) === wanted &&
    (value as { metricName?: string }).metricName === undefined
  );
  return match?.value ?? 0;
}
