/**
 * Configuration from environment variables: read once, defaults applied, every value
 * validated up front, returned frozen. A bad value throws ConfigError naming the variable.
 */
import { ID_PATTERN } from "../domain/validation.ts";
import { PROCESSES, type ServiceName } from "../processes.ts";
import { ConfigError } from "./errors.ts";
import { environment } from "./runtime.ts";

export { ConfigError };

type Env = Record<string, string | undefined>;

/** Reads typed values from an environment, collecting the first error per variable. */
class EnvReader {
  readonly errors: string[] = [];
  private readonly failed = new Set<string>();
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  string(name: string, fallback: string, pattern?: RegExp, expected?: string): string {
    const value = this.raw(name) ?? fallback;
    if (pattern && !pattern.test(value)) this.fail(name, expected ?? `must match ${pattern}`, value);
    return value;
  }

  optionalString(name: string, pattern?: RegExp, expected?: string): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && pattern && !pattern.test(value)) {
      this.fail(name, expected ?? `must match ${pattern}`, value);
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.fail(name, `must be an integer between ${min} and ${max}`, value);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      this.fail(name, `must be an integer between ${min} and ${max}`, value);
      return fallback;
    }
    return parsed;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || !/^-?[\d.]+(e-?\d+)?$/i.test(value)) {
      this.fail(name, `must be a number between ${min} and ${max}`, value);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value as T)) {
      this.fail(name, `must be one of ${allowed.join(", ")}`, value);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (["true", "1", "yes"].includes(value.toLowerCase())) return true;
    if (["false", "0", "no"].includes(value.toLowerCase())) return false;
    this.fail(name, "must be true or false", value);
    return fallback;
  }

  /** Throws ConfigError naming every problem found, unless there is none: `action` is what cannot happen. */
  assertValid(action: string): void {
    if (this.errors.length > 0) throw new ConfigError(action, this.errors);
  }

  fail(name: string, rule: string, value: string): void {
    this.failed.add(name);
    this.errors.push(`'${name}' ${rule}, got ${JSON.stringify(value)}`);
  }

  /** Whether none of `names` failed, so a cross-field rule is checked only on values that are valid alone. */
  valid(...names: string[]): boolean {
    return names.every((name) => !this.failed.has(name));
  }
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:(\d{1,5})$/;
const HOST = /^[A-Za-z0-9.:-]{1,253}$/;
const isPort = (digits: string | undefined) => Number(digits) >= 1 && Number(digits) <= 65535;
/** Minute, hour, day of month, month, day of week (0 and 7 are Sunday). */
const CRON_RANGES = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]] as const;
const CRON_PART = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/** Whether `schedule` has five fields of `*`, `n`, `a-b`, each optionally `/step`, comma-separated, in range. */
function isCronSchedule(schedule: string): boolean {
  const fields = schedule.split(" ");
  return fields.length === 5 && fields.every((field, i) => {
    const [min, max] = CRON_RANGES[i]!;
    return field.split(",").every((part) => {
      const match = CRON_PART.exec(part);
      if (!match) return false;
      const [, , from, to, step] = match;
      const inRange = (n: string | undefined) => n === undefined || (Number(n) >= min && Number(n) <= max);
      return inRange(from) && inRange(to) && (to === undefined || Number(from) <= Number(to)) &&
        (step === undefined || (Number(step) >= 1 && Number(step) <= max));
    });
  });
}
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

function parseBrokers(reader: EnvReader): string[] {
  const value = reader.string("KAFKA_BROKERS", "localhost:9092");
  const brokers = value.split(",").map((broker) => broker.trim());
  if (brokers.some((broker) => !isPort(HOST_PORT.exec(broker)?.[1]))) {
    reader.fail("KAFKA_BROKERS", "must be a comma-separated list of host:port", value);
  }
  return brokers;
}

function parseSchedule(reader: EnvReader): string {
  const value = reader.string("SCAN_SCHEDULE", "* * * * *");
  if (!isCronSchedule(value)) reader.fail("SCAN_SCHEDULE", "must be a five-field cron schedule", value);
  return value;
}

function parseRedisUrl(reader: EnvReader): string {
  const value = reader.string("REDIS_URL", "redis://localhost:6379");
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (
    !url || !["redis:", "rediss:"].includes(url.protocol) || url.hostname === "" || !/^(\/\d*)?$/.test(url.pathname)
  ) {
    // The message gets logged: never echo credentials.
    const redacted = value.replace(/\/\/[^/]*@/, "//***@");
    reader.fail(
      "REDIS_URL",
      "must be a redis:// or rediss:// URL with a host and an optional /database number",
      redacted,
    );
  }
  return value;
}

/** Where a Redis Cluster client reads: its masters, or their replicas (REDIS_READ_FROM). */
export const REDIS_READ_FROM = ["master", "replica"] as const;

/**
 * REDIS_CLUSTER_NODES (seed nodes of a Redis Cluster; REDIS_URL then gives only the credentials and TLS) and
 * REDIS_READ_FROM, for the processes the registry says run on a cluster (docs/design/redis-cluster.md).
 */
function parseRedisCluster(reader: EnvReader, service: ServiceName, redisUrl: string) {
  const value = reader.optionalString("REDIS_CLUSTER_NODES");
  const readFrom = reader.oneOf("REDIS_READ_FROM", "master", REDIS_READ_FROM);
  if (value === undefined) {
    if (readFrom === "replica") {
      reader.fail("REDIS_READ_FROM", "needs REDIS_CLUSTER_NODES: replicas are a cluster's", readFrom);
    }
    return undefined;
  }
  const nodes = value.split(",").map((node) => node.trim());
  const spec = PROCESSES[service];
  if (nodes.some((node) => !isPort(HOST_PORT.exec(node)?.[1]))) {
    reader.fail("REDIS_CLUSTER_NODES", "must be a comma-separated list of host:port", value);
  } else if (!spec.redisCluster) {
    const capable = Object.entries(PROCESSES).filter(([, process]) => process.redisCluster).map(([name]) => name);
    reader.fail(
      "REDIS_CLUSTER_NODES",
      `is not supported by ${service} yet (${
        capable.join(", ")
      } run on a Redis Cluster; see docs/design/redis-cluster.md)`,
      value,
    );
  }
  if (readFrom === "replica" && spec.writes.length > 0) {
    reader.fail("REDIS_READ_FROM", `replica is for the readers; ${service} writes`, readFrom);
  }
  const database = URL.canParse(redisUrl) ? new URL(redisUrl).pathname : "";
  if (!/^\/?0?$/.test(database)) {
    reader.fail(
      "REDIS_URL",
      "must name database 0 (or none) with REDIS_CLUSTER_NODES: a cluster has no other",
      database,
    );
  }
  return {
    nodes: nodes.map((node) => {
      const separator = node.lastIndexOf(":");
      return { host: node.slice(0, separator), port: Number(node.slice(separator + 1)) };
    }),
    readFrom,
  };
}

function parsePostgresUrl(reader: EnvReader): string {
  const value = reader.string("POSTGRES_URL", "postgres://baggage_router:baggage-router@localhost:5432/baggage_router");
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (
    !url || !["postgres:", "postgresql:"].includes(url.protocol) || url.hostname === "" ||
    !/^\/[\w.-]+$/.test(url.pathname)
  ) {
    // The message gets logged: never echo credentials.
    const redacted = value.replace(/\/\/[^/]*@/, "//***@");
    reader.fail("POSTGRES_URL", "must be a postgres:// or postgresql:// URL with a host and a database", redacted);
  }
  return value;
}

/** BOARD_TOKEN: a secret, so a bad one is reported by its length only. */
function parseBoardToken(reader: EnvReader): string | undefined {
  const value = reader.raw("BOARD_TOKEN");
  if (value !== undefined && !/^[\x21-\x7e]{16,256}$/.test(value)) {
    reader.fail(
      "BOARD_TOKEN",
      "must be 16-256 printable ASCII characters without spaces",
      `(${value.length} characters)`,
    );
  }
  return value;
}

/** BOARD_HISTORY_URL: where the board asks the archiver for histories (a missing archiver is reported, not fatal). */
function parseHistoryUrl(reader: EnvReader): string {
  const value = reader.string("BOARD_HISTORY_URL", "http://localhost:8007");
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !["http:", "https:"].includes(url.protocol) || url.hostname === "" || url.username || url.search) {
    reader.fail("BOARD_HISTORY_URL", "must be an http:// or https:// URL without credentials or query", value);
  }
  return value.replace(/\/+$/, "");
}

export const SASL_MECHANISMS = ["none", "plain", "scram-sha-256", "scram-sha-512"] as const;

/** Kafka authentication (SASL) and encryption (TLS); secrets stay in this object and are never logged. */
function parseKafkaSecurity(r: EnvReader) {
  const mechanism = r.oneOf("KAFKA_SASL_MECHANISM", "none", SASL_MECHANISMS);
  const username = r.optionalString("KAFKA_SASL_USERNAME");
  const password = r.optionalString("KAFKA_SASL_PASSWORD");
  if (mechanism !== "none" && (username === undefined || password === undefined)) {
    r.fail("KAFKA_SASL_MECHANISM", "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", mechanism);
  }
  const ca = r.optionalString("KAFKA_SSL_CA_PEM");
  if (ca !== undefined && !ca.includes("-----BEGIN CERTIFICATE-----")) {
    r.fail("KAFKA_SSL_CA_PEM", "must hold PEM certificates", `${ca.slice(0, 20)}…`);
  }
  return {
    sasl: mechanism === "none" ? undefined : { mechanism, username: username ?? "", password: password ?? "" },
    ssl: r.boolean("KAFKA_SSL", false),
    sslCa: ca,
    sslRejectUnauthorized: r.boolean("KAFKA_SSL_REJECT_UNAUTHORIZED", true),
  };
}

/** Reads and validates the whole configuration for `service`. */
export function loadConfig(service: ServiceName, env: Env = environment()) {
  const r = new EnvReader(env);
  const config = {
    service,
    logLevel: r.oneOf("LOG_LEVEL", "info", LOG_LEVELS),
    metrics: {
      host: r.string("METRICS_HOST", "0.0.0.0", HOST, "must be a host name or IP address"),
      port: r.integer("METRICS_PORT", PROCESSES[service].metricsPort, 0, 65535),
    },
    kafka: {
      brokers: parseBrokers(r),
      clientId: r.string(
        "KAFKA_CLIENT_ID",
        `baggage-router-${service}`,
        /^[\w.-]{1,100}$/,
        "must be 1-100 letters, digits, '_', '.' or '-'",
      ),
      groupId: r.string("KAFKA_GROUP_ID", service, /^[\w.-]{1,100}$/, "must be 1-100 letters, digits, '_', '.' or '-'"),
      partitions: r.integer("KAFKA_PARTITIONS", 6, 1, 1000),
      replicationFactor: r.integer("KAFKA_REPLICATION_FACTOR", 1, 1, 10),
      sessionTimeoutMs: r.integer("KAFKA_SESSION_TIMEOUT_MS", 30_000, 6_000, 300_000),
      security: parseKafkaSecurity(r),
    },
    topics: {
      flights: r.string("FLIGHTS_TOPIC", "flights", TOPIC_NAME, "must be a Kafka topic name"),
      bags: r.string("BAGS_TOPIC", "bags", TOPIC_NAME, "must be a Kafka topic name"),
      work: r.string("WORK_TOPIC", "arriving_flight_work", TOPIC_NAME, "must be a Kafka topic name"),
      baggageMessages: r.string(
        "BAGGAGE_MESSAGES_TOPIC",
        "baggage_messages",
        TOPIC_NAME,
        "must be a Kafka topic name",
      ),
    },
    redisUrl: parseRedisUrl(r),
    redisCluster: parseRedisCluster(r, service, r.raw("REDIS_URL") ?? "redis://localhost:6379"),
    limits: {
      maxMessageBytes: r.integer("MAX_MESSAGE_BYTES", 1_048_576, 256, 100_000_000),
      maxBagsPerFlight: r.integer("MAX_BAGS_PER_FLIGHT", 5_000, 1, 1_000_000),
      maxItineraryFlights: r.integer("MAX_ITINERARY_FLIGHTS", 10, 1, 1_000),
      maxFutureSeconds: r.integer("MAX_FUTURE_SECONDS", 366 * 24 * 3600, 60, 100 * 366 * 24 * 3600),
    },
    consumer: {
      upsertBatchSize: r.integer("UPSERT_BATCH_SIZE", 500, 1, 10_000),
      partitionsConcurrently: r.integer("CONSUMER_PARTITIONS_CONCURRENTLY", 2, 1, 100),
    },
    scan: {
      schedule: parseSchedule(r),
      windowSeconds: r.integer("SCAN_WINDOW_SECONDS", 600, 1, 7 * 24 * 3600),
      graceSeconds: r.integer("SCAN_GRACE_SECONDS", 300, 0, 24 * 3600),
      batchFlights: r.integer("SCAN_BATCH_FLIGHTS", 50, 1, 1000),
      claimSeconds: r.integer("SCAN_CLAIM_SECONDS", 60, 31, 3600),
      catchUpSeconds: r.integer("SCAN_CATCH_UP_SECONDS", 30, 0, 3600),
      stateRetentionSeconds: r.integer("SCAN_STATE_RETENTION_SECONDS", 2 * 24 * 3600, 3600, 365 * 24 * 3600),
      dataRetentionSeconds: r.integer("DATA_RETENTION_SECONDS", 2 * 24 * 3600, 3600, 365 * 24 * 3600),
      sweepKeysPerScan: r.integer("SWEEP_KEYS_PER_SCAN", 10_000, 0, 1_000_000),
      followChanges: r.boolean("SCAN_FOLLOW_CHANGES", true),
      marksBatchMs: r.integer("SCAN_MARKS_BATCH_MS", 200, 0, 5_000),
    },
    stream: {
      key: r.string(
        "WORK_STREAM",
        "stream:arriving_flight_work",
        /^[^\s]{1,256}$/,
        "must be a Redis key without spaces",
      ),
      maxLength: r.integer("STREAM_MAXLEN", 1_000_000, 0, 1_000_000_000),
      maxAgeSeconds: r.integer("STREAM_MAX_AGE_SECONDS", 0, 0, 365 * 24 * 3600),
      batchMessages: r.integer("BRIDGE_BATCH_MESSAGES", 8, 1, 1000),
    },
    archive: {
      postgresUrl: parsePostgresUrl(r),
      retentionDays: r.integer("ARCHIVE_RETENTION_DAYS", 400, 1, 100 * 366),
      batchSize: r.integer("ARCHIVE_BATCH_SIZE", 2_000, 1, 50_000),
      historyHost: r.string("HISTORY_HOST", "0.0.0.0", HOST, "must be a host name or IP address"),
      historyPort: r.integer("HISTORY_PORT", 8007, 0, 65535),
    },
    risk: {
      minConnectionSeconds: r.integer("MIN_CONNECTION_SECONDS", 2_700, 0, 24 * 3600),
      hotSlackSeconds: r.integer("HOT_SLACK_SECONDS", 900, 0, 24 * 3600),
      warmSlackSeconds: r.integer("WARM_SLACK_SECONDS", 1_800, 0, 24 * 3600),
    },
    board: {
      host: r.string("BOARD_HOST", "0.0.0.0", HOST, "must be a host name or IP address"),
      port: r.integer("BOARD_PORT", 8080, 0, 65535),
      token: parseBoardToken(r),
      historyUrl: parseHistoryUrl(r),
    },
    tail: {
      group: r.string("TAIL_GROUP", "tail", /^[\w.:-]{1,100}$/, "must be 1-100 letters, digits, '_', '.', ':' or '-'"),
      consumer: r.string(
        "TAIL_CONSUMER",
        `tail-${crypto.randomUUID().slice(0, 8)}`,
        /^[\w.:-]{1,100}$/,
        "must be 1-100 letters, digits, '_', '.', ':' or '-'",
      ),
      startAt: r.oneOf("TAIL_FROM", "start", ["start", "new"] as const),
      flightId: r.optionalString("TAIL_FLIGHT", ID_PATTERN, "must be a flight id"),
      bagId: r.optionalString("TAIL_BAG", ID_PATTERN, "must be a bag id"),
      claimIdleMs: r.integer("TAIL_CLAIM_IDLE_MS", 30_000, 100, 3_600_000),
    },
  };
  if (r.valid("SCAN_BATCH_FLIGHTS", "KAFKA_PARTITIONS") && config.scan.batchFlights > config.kafka.partitions * 1000) {
    r.fail(
      "SCAN_BATCH_FLIGHTS",
      "must not exceed 1,000 messages per partition in one send",
      String(config.scan.batchFlights),
    );
  }
  if (
    r.valid("HOT_SLACK_SECONDS", "WARM_SLACK_SECONDS") && config.risk.hotSlackSeconds > config.risk.warmSlackSeconds
  ) {
    r.fail("HOT_SLACK_SECONDS", "must not exceed WARM_SLACK_SECONDS", String(config.risk.hotSlackSeconds));
  }
  r.assertValid("Cannot start");
  return deepFreeze(config);
}

export type Config = ReturnType<typeof loadConfig>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export { EnvReader };
