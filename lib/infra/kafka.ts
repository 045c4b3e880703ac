/** Kafka client factory and topic administration; the only module that knows kafkajs' setup. */
import {
  ConfigResourceTypes,
  ConfigSource,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { Config } from "./config.ts";
import { maxWorkMessageBytes } from "../domain/work.ts";
import { waitFor } from "./poll.ts";
import type { Logger } from "./log.ts";

export { Kafka };
export type { Consumer, EachBatchPayload, KafkaMessage, Producer } from "kafkajs";

const LEVEL_NAMES: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** Builds a kafkajs client for the configured brokers, logging through `logger`. */
export function createKafka(config: Config, logger: Logger): Kafka {
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers: [...config.kafka.brokers],
    ...securityOptions(config),
    logLevel: logLevel.WARN,
    // Capped at 5 s between attempts: kafkajs' default (30 s) made recovery after a broker outage take ~25 s.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
    logCreator: () => (entry: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
      // Our senders retry a bounded number of times on purpose (a send that gives up leaves its work claimed
      // for a later retry), so kafkajs' start-up warning about idempotent producers with bounded retries is noise.
      if (message.startsWith("Limiting retries for the idempotent producer")) return;
      logger[LEVEL_NAMES[entry.level] ?? "info"]({ kafka: entry.namespace, ...fields }, message);
    },
  });
}

/** kafkajs' SASL and TLS options from the configuration. */
function securityOptions(config: Config): Partial<Pick<KafkaConfig, "sasl" | "ssl">> {
  const { sasl, ssl, sslCa, sslRejectUnauthorized } = config.kafka.security;
  return {
    ...(sasl
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions }
      : {}),
    ...(ssl ? { ssl: { rejectUnauthorized: sslRejectUnauthorized, ...(sslCa ? { ca: [sslCa] } : {}) } } : {}),
  };
}

/**
 * A producer that waits for all in-sync replicas and, being idempotent, never writes a message twice
 * because of its own retries. Messages are partitioned by key with Kafka's default (murmur2) partitioner.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Below the broker's default record-batch limit (message.max.bytes, about 1 MB) with room for headers. */
export const MAX_SEND_BYTES = 800_000;
/** kafkajs groups a send's messages per partition in quadratic time: keep sends to this many. */
export const MAX_SEND_MESSAGES = 1000;

/**
 * Splits `messages` into consecutive groups of at most MAX_SEND_MESSAGES and about MAX_SEND_BYTES of
 * values: a send's messages to one partition form one record batch, which the broker rejects when too large.
 */
export function sendGroups<M extends { value: string | Uint8Array | null }>(messages: readonly M[]): M[][] {
  const groups: M[][] = [];
  let group: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = typeof message.value === "string" ? message.value.length : message.value?.byteLength ?? 0;
    if (group.length > 0 && (group.length === MAX_SEND_MESSAGES || bytes + size > MAX_SEND_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** kafkajs error types of a broker refusing a send's records themselves: sending them again cannot help. */
const RECORD_REJECTIONS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE"]);

/** Whether `error` (or the error it wraps after retries) is the broker refusing the records of a send. */
export function isRecordRejected(error: unknown): boolean {
  const causes = [error, (error as { originalError?: unknown } | null)?.originalError];
  return causes.some((cause) => RECORD_REJECTIONS.has((cause as { type?: string } | null)?.type ?? ""));
}

/**
 * Whether a Kafka protocol error (an error code in a broker's answer) can heal, by Kafka's own flag for that
 * code (MESSAGE_TOO_LARGE or an authorization failure never does); undefined for any other error.
 */
export function protocolErrorHeals(error: unknown): boolean | undefined {
  const candidate = error as { name?: unknown; retriable?: unknown } | null;
  if (candidate?.name !== "KafkaJSProtocolError") return undefined;
  return candidate.retriable === true;
}

/** Creates each topic that does not exist yet with the configured partition count. */
export function ensureTopics(kafka: Kafka, config: Config, topics: string[]): Promise<void> {
  return createTopicsIfMissing(kafka, topics, config.kafka.partitions, config.kafka.replicationFactor);
}

/**
 * Creates the missing topics and waits until every partition has a leader. Several processes may
 * create the same topic at once (replicas starting together): the loser's "already exists" or a
 * metadata request answered before the leaders are elected is not an error, so both are waited out.
 */
export async function createTopicsIfMissing(
  kafka: Kafka,
  topics: string[],
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
    }).catch((error) => {
      // Another process created it first, or the leaders were not known yet: the wait below settles both.
      const type = (error as { type?: string }).type;
      if (type !== "TOPIC_ALREADY_EXISTS" && type !== "UNKNOWN_TOPIC_OR_PARTITION") throw error;
    });
    await waitFor(
      async () => {
        const { topics: described } = await admin.fetchTopicMetadata({ topics: missing });
        return described.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0));
      },
      30_000,
      (last) => `topics ${missing.join(", ")} have no leaders after 30 s (${last})`,
      200,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the work topic and its dead-letter topic if missing, sized for the largest valid flight's work
 * (see maxWorkMessageBytes), so that every valid flight is publishable as one message.
 */
export async function ensureWorkTopics(kafka: Kafka, config: Config): Promise<void> {
  const topics = [config.topics.work, `${config.topics.work}.dlq`];
  await ensureTopics(kafka, config, topics);
  // Room for the record batch's own header and the key beyond the value.
  await ensureMaxMessageBytes(kafka, topics, maxWorkMessageBytes(config.limits) + 4096);
}

/**
 * Raises the `max.message.bytes` of each topic to at least `bytes` (the broker's default is about 1 MB).
 * Kafka's AlterConfigs replaces a topic's whole configuration, so the topic's other settings are sent back with it.
 */
export async function ensureMaxMessageBytes(kafka: Kafka, topics: readonly string[], bytes: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    const tooSmall = resources.flatMap((resource) => {
      const current = resource.configEntries.find((entry) => entry.configName === "max.message.bytes");
      if (current && Number(current.configValue) >= bytes) return [];
      const overrides = resource.configEntries
        .filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG && entry.configName !== "max.message.bytes")
        .map((entry) => ({ name: entry.configName, value: entry.configValue }));
      return [{
        type: ConfigResourceTypes.TOPIC,
        name: resource.resourceName,
        configEntries: [...overrides, { name: "max.message.bytes", value: String(bytes) }],
      }];
    });
    if (tooSmall.length > 0) await admin.alterConfigs({ validateOnly: false, resources: tooSmall });
  } finally {
    await admin.disconnect();
  }
}

/** Health check that the cluster answers a metadata request, with the admin connection it keeps. */
export function kafkaHealth(kafka: Kafka) {
  const admin = kafka.admin({ retry: { retries: 0 } });
  let connected: Promise<void> | undefined;
  return {
    check: async () => {
      connected ??= admin.connect().catch((error) => {
        connected = undefined;
        throw error;
      });
      await connected;
      await admin.describeCluster();
    },
    close: async () => {
      if (connected) await admin.disconnect();
    },
  };
}
