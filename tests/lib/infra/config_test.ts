/** loadConfig(): defaults, accepted values, and one exact message per invalid value of every variable. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { SERVICE_NAMES } from "../../../lib/processes.ts";
import { configErrorOf, type Env, variablesRead } from "../../_helpers/config_probe.ts";

/** An invalid value, or [value, how the message shows it] when the message must not echo all of it. */
type Invalid = string | [value: string, shown: string];
type InvalidTable = Record<string, { rule: string; values: Invalid[] }>;

/** Invalid values of every variable loadConfig() reads (but the free-form SASL credentials), with each message's rule. */
const INVALID_CONFIG: InvalidTable = {
  LOG_LEVEL: { rule: "must be one of trace, debug, info, warn, error, fatal, silent", values: ["verbose", "INFO"] },
  METRICS_HOST: { rule: "must be a host name or IP address", values: ["my host", "0.0.0.0/0", "http://host"] },
  METRICS_PORT: { rule: "must be an integer between 0 and 65535", values: ["http", "-1", "65536", "80.5"] },
  KAFKA_BROKERS: {
    rule: "must be a comma-separated list of host:port",
    values: [
      "localhost",
      "localhost:",
      "localhost:0",
      "localhost:65536",
      "a:9092,,b:9092",
      "a:9092;b:9092",
      "kafka://a:9092",
    ],
  },
  KAFKA_CLIENT_ID: {
    rule: "must be 1-100 letters, digits, '_', '.' or '-'",
    values: ["has space", "x".repeat(101), "é"],
  },
  KAFKA_GROUP_ID: { rule: "must be 1-100 letters, digits, '_', '.' or '-'", values: ["a/b", "x".repeat(101)] },
  KAFKA_PARTITIONS: { rule: "must be an integer between 1 and 1000", values: ["0", "1001", "six"] },
  KAFKA_REPLICATION_FACTOR: { rule: "must be an integer between 1 and 10", values: ["0", "11"] },
  KAFKA_SESSION_TIMEOUT_MS: { rule: "must be an integer between 6000 and 300000", values: ["5999", "300001", "30s"] },
  KAFKA_SASL_MECHANISM: {
    rule: "must be one of none, plain, scram-sha-256, scram-sha-512",
    values: ["gssapi", "PLAIN"],
  },
  KAFKA_SSL_CA_PEM: {
    rule: "must hold PEM certificates",
    values: [["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-ce…"]],
  },
  KAFKA_SSL: { rule: "must be true or false", values: ["maybe", "2", "on"] },
  KAFKA_SSL_REJECT_UNAUTHORIZED: { rule: "must be true or false", values: ["off"] },
  FLIGHTS_TOPIC: { rule: "must be a Kafka topic name", values: ["a topic", "a/b", "x".repeat(250)] },
  BAGS_TOPIC: { rule: "must be a Kafka topic name", values: ["bags!", "x".repeat(250)] },
  WORK_TOPIC: { rule: "must be a Kafka topic name", values: ["work*", "x".repeat(250)] },
  BAGGAGE_MESSAGES_TOPIC: { rule: "must be a Kafka topic name", values: ["baggage messages", "x".repeat(250)] },
  REDIS_CLUSTER_NODES: {
    rule: "must be a comma-separated list of host:port",
    values: ["localhost", "redis-1:6379,,redis-2:6379", "redis://redis-1:6379"],
  },
  REDIS_READ_FROM: { rule: "must be one of master, replica", values: ["slave", "MASTER"] },
  REDIS_URL: {
    rule: "must be a redis:// or rediss:// URL with a host and an optional /database number",
    values: [
      "localhost:6379",
      "http://localhost:6379",
      "redis://",
      "redis:localhost",
      "redis://localhost:65536",
      "redis://localhost:6379/zero",
      "redis://localhost:6379/0/1",
    ],
  },
  MAX_MESSAGE_BYTES: { rule: "must be an integer between 256 and 100000000", values: ["255", "100000001", "1MB"] },
  MAX_BAGS_PER_FLIGHT: { rule: "must be an integer between 1 and 1000000", values: ["0", "1000001"] },
  MAX_ITINERARY_FLIGHTS: { rule: "must be an integer between 1 and 1000", values: ["0", "1001"] },
  MAX_FUTURE_SECONDS: { rule: "must be an integer between 60 and 3162240000", values: ["59", "3162240001"] },
  UPSERT_BATCH_SIZE: { rule: "must be an integer between 1 and 10000", values: ["0", "10001", "1e3"] },
  CONSUMER_PARTITIONS_CONCURRENTLY: { rule: "must be an integer between 1 and 100", values: ["0", "101"] },
  SCAN_SCHEDULE: {
    rule: "must be a five-field cron schedule",
    values: [
      "* * * *",
      "* * * * * *",
      "@hourly",
      "60 * * * *",
      "0 24 * * *",
      "0 0 0 * *",
      "0 0 32 * *",
      "0 0 * 13 *",
      "0 0 * * 8",
      "*/0 * * * *",
      "5-1 * * * *",
      "1,,2 * * * *",
      "0 0 * * MON",
    ],
  },
  SCAN_WINDOW_SECONDS: { rule: "must be an integer between 1 and 604800", values: ["ten", "0", "604801", "1.5"] },
  SCAN_GRACE_SECONDS: { rule: "must be an integer between 0 and 86400", values: ["-1", "86401"] },
  SCAN_BATCH_FLIGHTS: { rule: "must be an integer between 1 and 1000", values: ["0", "1001"] },
  SCAN_CLAIM_SECONDS: { rule: "must be an integer between 31 and 3600", values: ["30", "3601"] },
  SCAN_CATCH_UP_SECONDS: { rule: "must be an integer between 0 and 3600", values: ["-1", "3601"] },
  SWEEP_KEYS_PER_SCAN: { rule: "must be an integer between 0 and 1000000", values: ["-1", "1000001", "all"] },
  SCAN_FOLLOW_CHANGES: { rule: "must be true or false", values: ["sometimes"] },
  SCAN_MARKS_BATCH_MS: { rule: "must be an integer between 0 and 5000", values: ["-1", "5001"] },
  SCAN_STATE_RETENTION_SECONDS: { rule: "must be an integer between 3600 and 31536000", values: ["3599", "31536001"] },
  DATA_RETENTION_SECONDS: { rule: "must be an integer between 3600 and 31536000", values: ["3599", "31536001", "2d"] },
  WORK_STREAM: { rule: "must be a Redis key without spaces", values: ["has space", "x".repeat(257)] },
  STREAM_MAXLEN: { rule: "must be an integer between 0 and 1000000000", values: ["-1", "1000000001", "unlimited"] },
  STREAM_MAX_AGE_SECONDS: { rule: "must be an integer between 0 and 31536000", values: ["-1", "31536001"] },
  BRIDGE_BATCH_MESSAGES: { rule: "must be an integer between 1 and 1000", values: ["0", "1001"] },
  TAIL_GROUP: { rule: "must be 1-100 letters, digits, '_', '.', ':' or '-'", values: ["a b", "x".repeat(101)] },
  TAIL_CONSUMER: { rule: "must be 1-100 letters, digits, '_', '.', ':' or '-'", values: ["a/b"] },
  TAIL_FROM: { rule: "must be one of start, new", values: ["end", "latest"] },
  TAIL_FLIGHT: { rule: "must be a flight id", values: ["BA 117", "x".repeat(129)] },
  TAIL_BAG: { rule: "must be a bag id", values: ["bag#1"] },
  TAIL_CLAIM_IDLE_MS: { rule: "must be an integer between 100 and 3600000", values: ["99", "3600001"] },
  POSTGRES_URL: {
    rule: "must be a postgres:// or postgresql:// URL with a host and a database",
    values: [
      "localhost:5432",
      "mysql://localhost/db",
      "postgres://localhost",
      "postgres://localhost:5432/",
      "postgres://localhost:65536/db",
      ["postgres://me:secret@localhost:5432/a/b", "postgres://***@localhost:5432/a/b"],
    ],
  },
  ARCHIVE_RETENTION_DAYS: { rule: "must be an integer between 1 and 36600", values: ["0", "36601", "a year"] },
  ARCHIVE_BATCH_SIZE: { rule: "must be an integer between 1 and 50000", values: ["0", "50001"] },
  HISTORY_HOST: { rule: "must be a host name or IP address", values: ["a host", "h/1"] },
  HISTORY_PORT: { rule: "must be an integer between 0 and 65535", values: ["-1", "65536", "http"] },
  MIN_CONNECTION_SECONDS: { rule: "must be an integer between 0 and 86400", values: ["-1", "86401", "45m"] },
  HOT_SLACK_SECONDS: { rule: "must be an integer between 0 and 86400", values: ["-1", "86401"] },
  WARM_SLACK_SECONDS: { rule: "must be an integer between 0 and 86400", values: ["-1", "86401"] },
  BOARD_HOST: { rule: "must be a host name or IP address", values: ["a host", "h/1"] },
  BOARD_PORT: { rule: "must be an integer between 0 and 65535", values: ["-1", "65536", "http"] },
  BOARD_TOKEN: {
    rule: "must be 16-256 printable ASCII characters without spaces",
    values: [["short", "(5 characters)"], ["sixteen chars ok", "(16 characters)"], [
      "x".repeat(257),
      "(257 characters)",
    ]],
  },
  BOARD_HISTORY_URL: {
    rule: "must be an http:// or https:// URL without credentials or query",
    values: ["localhost:8007", "ftp://archiver:8007", "http://me:secret@archiver:8007", "http://archiver:8007/?a=1"],
  },
};
/** Any value is accepted; KAFKA_SASL_MECHANISM needs both (tested below). */
const FREE_FORM_CONFIG_VARIABLES = ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"];

const ALL_SERVICES = SERVICE_NAMES;

Deno.test("loadConfig() with an empty environment returns the documented defaults", () => {
  const { tail: { consumer, ...tail }, ...config } = loadConfig("flight-consumer", {});
  // A random tail consumer name, so that two `deno task tail` share the group's work instead of colliding.
  assert.match(consumer, /^tail-[0-9a-f]{8}$/);
  assert.notEqual(loadConfig("tail", {}).tail.consumer, consumer);
  assert.deepEqual({ ...config, tail }, {
    service: "flight-consumer",
    logLevel: "info",
    metrics: { host: "0.0.0.0", port: 8001 },
    kafka: {
      brokers: ["localhost:9092"],
      clientId: "baggage-router-flight-consumer",
      groupId: "flight-consumer",
      partitions: 6,
      replicationFactor: 1,
      sessionTimeoutMs: 30_000,
      security: { sasl: undefined, ssl: false, sslCa: undefined, sslRejectUnauthorized: true },
    },
    topics: { flights: "flights", bags: "bags", work: "arriving_flight_work", baggageMessages: "baggage_messages" },
    redisUrl: "redis://localhost:6379",
    redisCluster: undefined,
    limits: {
      maxMessageBytes: 1_048_576,
      maxBagsPerFlight: 5_000,
      maxItineraryFlights: 10,
      maxFutureSeconds: 31_622_400,
    },
    consumer: { upsertBatchSize: 500, partitionsConcurrently: 2 },
    scan: {
      schedule: "* * * * *",
      windowSeconds: 600,
      graceSeconds: 300,
      batchFlights: 50,
      claimSeconds: 60,
      catchUpSeconds: 30,
      stateRetentionSeconds: 172_800,
      dataRetentionSeconds: 172_800,
      sweepKeysPerScan: 10_000,
      followChanges: true,
      marksBatchMs: 200,
    },
    stream: { key: "stream:arriving_flight_work", maxLength: 1_000_000, maxAgeSeconds: 0, batchMessages: 8 },
    archive: {
      postgresUrl: "postgres://baggage_router:baggage-router@localhost:5432/baggage_router",
      retentionDays: 400,
      batchSize: 2_000,
      historyHost: "0.0.0.0",
      historyPort: 8007,
    },
    risk: { minConnectionSeconds: 2_700, hotSlackSeconds: 900, warmSlackSeconds: 1_800 },
    board: { host: "0.0.0.0", port: 8080, token: undefined, historyUrl: "http://localhost:8007" },
    tail: { group: "tail", startAt: "start", flightId: undefined, bagId: undefined, claimIdleMs: 30_000 },
  });
});

Deno.test("loadConfig() defaults the metrics port, client id and group id per service", () => {
  const defaults = ALL_SERVICES.map((service) => {
    const { metrics, kafka } = loadConfig(service, {});
    return [service, metrics.port, kafka.clientId, kafka.groupId];
  });
  assert.deepEqual(defaults, [
    ["flight-consumer", 8001, "baggage-router-flight-consumer", "flight-consumer"],
    ["bag-consumer", 8002, "baggage-router-bag-consumer", "bag-consumer"],
    ["baggage-messages", 8009, "baggage-router-baggage-messages", "baggage-messages"],
    ["arrival-scanner", 8003, "baggage-router-arrival-scanner", "arrival-scanner"],
    ["producer", 8004, "baggage-router-producer", "producer"],
    ["bridge", 8005, "baggage-router-bridge", "bridge"],
    ["archiver", 8008, "baggage-router-archiver", "archiver"],
    ["board", 8010, "baggage-router-board", "board"],
    ["tail", 8006, "baggage-router-tail", "tail"],
  ]);
});

Deno.test("loadConfig() treats blank values as unset and trims the others", () => {
  const config = loadConfig("bag-consumer", { LOG_LEVEL: "   ", SCAN_WINDOW_SECONDS: " 900 ", KAFKA_BROKERS: "" });
  assert.equal(config.logLevel, "info");
  assert.equal(config.scan.windowSeconds, 900);
  assert.deepEqual(config.kafka.brokers, ["localhost:9092"]);
});

Deno.test("loadConfig() accepts valid values at the edges of each rule", () => {
  const config = loadConfig("arrival-scanner", {
    LOG_LEVEL: "silent",
    METRICS_HOST: "::1",
    METRICS_PORT: "0",
    KAFKA_BROKERS: "kafka-1.internal:9092, 10.0.0.2:65535",
    REDIS_URL: "rediss://user:secret@redis.internal:6380/3",
    SCAN_SCHEDULE: "*/5 8-18 1,15 1-12/2 0-7",
    SCAN_GRACE_SECONDS: "0",
    SCAN_CLAIM_SECONDS: "31",
    STREAM_MAXLEN: "0",
  });
  assert.deepEqual(
    [config.logLevel, config.metrics, config.kafka.brokers, config.redisUrl, config.scan.schedule],
    [
      "silent",
      { host: "::1", port: 0 },
      ["kafka-1.internal:9092", "10.0.0.2:65535"],
      "rediss://user:secret@redis.internal:6380/3",
      "*/5 8-18 1,15 1-12/2 0-7",
    ],
  );
  assert.deepEqual([config.scan.graceSeconds, config.scan.claimSeconds, config.stream.maxLength], [0, 31, 0]);
});

Deno.test("loadConfig() reads exactly the invalid-value table's variables and the SASL credentials", () => {
  assert.deepEqual(
    variablesRead((env) => loadConfig("flight-consumer", env)),
    [...Object.keys(INVALID_CONFIG), ...FREE_FORM_CONFIG_VARIABLES].sort(),
  );
});

for (const [name, { rule, values }] of Object.entries(INVALID_CONFIG)) {
  Deno.test(`loadConfig() rejects each invalid ${name} with a ConfigError naming it and the value`, () => {
    for (const invalid of values) {
      const [value, shown] = typeof invalid === "string" ? [invalid, invalid] : invalid;
      assert.equal(
        configErrorOf(() => loadConfig("flight-consumer", { [name]: value })),
        `Cannot start: '${name}' ${rule}, got ${JSON.stringify(shown)}`,
      );
    }
  });
}

Deno.test("loadConfig() takes Kafka SASL credentials and TLS settings together", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  const { security } = loadConfig("bag-consumer", {
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "router",
    KAFKA_SASL_PASSWORD: "pa55",
    KAFKA_SSL: "YES",
    KAFKA_SSL_CA_PEM: pem,
    KAFKA_SSL_REJECT_UNAUTHORIZED: "0",
  }).kafka;
  assert.deepEqual(security, {
    sasl: { mechanism: "scram-sha-512", username: "router", password: "pa55" },
    ssl: true,
    sslCa: pem,
    sslRejectUnauthorized: false,
  });
});

Deno.test("loadConfig() rejects a SASL mechanism without both a username and a password", () => {
  const missing: Env[] = [
    { KAFKA_SASL_MECHANISM: "plain" },
    { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "router" },
    { KAFKA_SASL_MECHANISM: "scram-sha-256", KAFKA_SASL_PASSWORD: "pa55" },
  ];
  assert.deepEqual(missing.map((env) => configErrorOf(() => loadConfig("bag-consumer", env))), [
    `Cannot start: 'KAFKA_SASL_MECHANISM' needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, got "plain"`,
    `Cannot start: 'KAFKA_SASL_MECHANISM' needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, got "plain"`,
    `Cannot start: 'KAFKA_SASL_MECHANISM' needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, got "scram-sha-256"`,
  ]);
});

Deno.test("REDIS_CLUSTER_NODES gives the bridge, the tail and the board a cluster, REDIS_URL its credentials", () => {
  const env = { REDIS_CLUSTER_NODES: "redis-1:6379, 10.0.0.2:7000", REDIS_URL: "rediss://router:s3cret@redis-1:6379" };
  const nodes = [{ host: "redis-1", port: 6379 }, { host: "10.0.0.2", port: 7000 }];
  assert.deepEqual(loadConfig("bridge", env).redisCluster, { nodes, readFrom: "master" });
  assert.deepEqual(loadConfig("tail", { ...env, REDIS_READ_FROM: "replica" }).redisCluster, {
    nodes,
    readFrom: "replica",
  });
  assert.equal(loadConfig("board", {}).redisCluster, undefined);
});

Deno.test("REDIS_CLUSTER_NODES is refused where it cannot work yet, with the reason", () => {
  const nodes = "redis-1:6379";
  assert.equal(
    configErrorOf(() => loadConfig("baggage-messages", { REDIS_CLUSTER_NODES: nodes })),
    "Cannot start: 'REDIS_CLUSTER_NODES' is not supported by baggage-messages yet (flight-consumer, bag-consumer, " +
      "arrival-scanner, bridge, board, tail run on a " +
      `Redis Cluster; see docs/design/redis-cluster.md), got "${nodes}"`,
  );
  assert.equal(
    configErrorOf(() => loadConfig("bridge", { REDIS_CLUSTER_NODES: nodes, REDIS_READ_FROM: "replica" })),
    `Cannot start: 'REDIS_READ_FROM' replica is for the readers; bridge writes, got "replica"`,
  );
  assert.equal(
    configErrorOf(() => loadConfig("board", { REDIS_READ_FROM: "replica" })),
    `Cannot start: 'REDIS_READ_FROM' needs REDIS_CLUSTER_NODES: replicas are a cluster's, got "replica"`,
  );
  assert.equal(
    configErrorOf(() => loadConfig("tail", { REDIS_CLUSTER_NODES: nodes, REDIS_URL: "redis://redis-1:6379/2" })),
    `Cannot start: 'REDIS_URL' must name database 0 (or none) with REDIS_CLUSTER_NODES: a cluster has no other, ` +
      `got "/2"`,
  );
});

Deno.test("loadConfig() never echoes the credentials of an invalid REDIS_URL", () => {
  assert.equal(
    configErrorOf(() => loadConfig("bag-consumer", { REDIS_URL: "http://user:s3cret@localhost:6379" })),
    `Cannot start: 'REDIS_URL' must be a redis:// or rediss:// URL with a host and an optional /database number, ` +
      `got "http://***@localhost:6379"`,
  );
});

Deno.test("loadConfig() reports every invalid variable in one ConfigError, in reading order", () => {
  const message = configErrorOf(() =>
    loadConfig("arrival-scanner", {
      SCAN_WINDOW_SECONDS: "ten",
      LOG_LEVEL: "loud",
      KAFKA_PARTITIONS: "0",
      REDIS_URL: "http://localhost",
    })
  );
  assert.equal(
    message,
    "Cannot start: " + [
      `'LOG_LEVEL' must be one of trace, debug, info, warn, error, fatal, silent, got "loud"`,
      `'KAFKA_PARTITIONS' must be an integer between 1 and 1000, got "0"`,
      `'REDIS_URL' must be a redis:// or rediss:// URL with a host and an optional /database number, got "http://localhost"`,
      `'SCAN_WINDOW_SECONDS' must be an integer between 1 and 604800, got "ten"`,
    ].join("; "),
  );
});

Deno.test("loadConfig() returns a deeply frozen object", () => {
  const config = loadConfig("producer", {});
  const unfrozen: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (value === null || typeof value !== "object") return;
    if (!Object.isFrozen(value)) unfrozen.push(path);
    for (const [key, child] of Object.entries(value)) visit(child, `${path}.${key}`);
  };
  visit(config, "config");
  assert.deepEqual(unfrozen, []);
  assert.throws(() => ((config.scan as { windowSeconds: number }).windowSeconds = 1), TypeError);
  assert.throws(() => (config.kafka.brokers as string[]).push("other:9092"), TypeError);
  assert.equal(config.scan.windowSeconds, 600);
});
