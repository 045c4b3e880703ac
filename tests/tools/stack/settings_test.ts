import assert from "node:assert/strict";
import { resolve } from "node:path";
import { loadStackSettings } from "../../../tools/stack/settings.ts";
import { configErrorOf, type Env, variablesRead } from "../../_helpers/config_probe.ts";

/** Invalid values of the stack settings; STACK_DIR, STACK_CACHE_DIR and XDG_CACHE_HOME take any path. */
const INVALID_STACK: Record<string, { rule: string; values: string[] }> = {
  STACK_TOPOLOGY: { rule: "must be one of single, cluster", values: ["multi", "Cluster", "3"] },
  STACK_REDIS_PORT: { rule: "must be an integer between 1 and 65535", values: ["0", "65536", "redis"] },
  STACK_KAFKA_PORT: { rule: "must be an integer between 1 and 65535", values: ["0", "65536", "9092.0"] },
  STACK_KAFKA_CONTROLLER_PORT: { rule: "must be an integer between 1 and 65535", values: ["0", "65536"] },
  KAFKA_VERSION: { rule: "must be a 4.x.y Kafka version", values: ["3.9.0", "4.1", "latest"] },
  STACK_KAFKA_HEAP: { rule: "must be a JVM heap size such as 768m", values: ["768", "1.5g", "768k", "-1m"] },
  STACK_START_TIMEOUT_SECONDS: { rule: "must be an integer between 5 and 3600", values: ["4", "3601", "1m"] },
  STACK_REDIS_PERSISTENCE: { rule: "must be one of none, aof", values: ["rdb", "yes"] },
  STACK_REDIS_WORKER_USER: { rule: "must be 1-64 letters, digits, '_', '.' or '-'", values: ["a b", "user:x"] },
  STACK_KAFKA_SASL_PORT: { rule: "must be an integer between 0 and 65535", values: ["-1", "65536", "sasl"] },
  STACK_KAFKA_SASL_USERNAME: { rule: "must be 1-64 letters, digits, '_', '.' or '-'", values: ["a b", "x".repeat(65)] },
  STACK_POSTGRES_PORT: { rule: "must be an integer between 0 and 65535", values: ["-1", "65536", "pg"] },
  STACK_POSTGRES_USER: {
    rule: "must be 1-63 lowercase letters, digits or '_', not starting with a digit",
    values: ["Baggage", "1router", "baggage-router", 'a"; drop role x; --', "x".repeat(64)],
  },
  STACK_POSTGRES_DB: {
    rule: "must be 1-63 lowercase letters, digits or '_', not starting with a digit",
    values: ["Router", "9db", "db.name", "x".repeat(64)],
  },
  STACK_POSTGRES_PASSWORD: {
    rule: "must be 1-100 printable ASCII characters",
    values: ["pässword", "tab\there", "x".repeat(101)],
  },
};
const FREE_FORM_STACK_VARIABLES = [
  "STACK_DIR",
  "STACK_CACHE_DIR",
  "XDG_CACHE_HOME",
  "STACK_REDIS_ADMIN_PASSWORD",
  "STACK_REDIS_WORKER_PASSWORD",
  "STACK_KAFKA_SASL_PASSWORD",
];
/** Absolute paths, so these tests need neither the working directory nor the home directory. */
const PATHS: Env = { STACK_DIR: "/stack", XDG_CACHE_HOME: "/cache" };

Deno.test("loadStackSettings() with an empty environment returns the dev stack's defaults", () => {
  assert.deepEqual(loadStackSettings({ XDG_CACHE_HOME: "/cache" }), {
    dir: resolve(".stack/dev"),
    topology: "single",
    redisPort: 6379,
    kafkaPort: 9092,
    kafkaControllerPort: 9093,
    kafkaVersion: "4.1.1",
    kafkaHeap: "768m",
    jarsDir: "/cache/baggage-router/kafka-4.1.1",
    startTimeoutSeconds: 90,
    redisPersistence: "none",
    redisAdminPassword: undefined,
    redisWorkerUser: "baggage-router",
    redisWorkerPassword: undefined,
    kafkaSaslPort: 0,
    kafkaSaslUser: "baggage-router",
    kafkaSaslPassword: undefined,
    postgresPort: 5432,
    postgresUser: "baggage_router",
    postgresDb: "baggage_router",
    postgresPassword: "baggage-router",
  });
  assert.ok(Object.isFrozen(loadStackSettings(PATHS)));
});

Deno.test("loadStackSettings() takes every value from STACK_* variables", () => {
  assert.deepEqual(
    loadStackSettings({
      STACK_DIR: "/tmp/stack-x",
      STACK_TOPOLOGY: "single",
      STACK_CACHE_DIR: "/jars",
      XDG_CACHE_HOME: "/cache",
      STACK_REDIS_PORT: "26379",
      STACK_KAFKA_PORT: "29092",
      STACK_KAFKA_CONTROLLER_PORT: "29093",
      KAFKA_VERSION: "4.0.0",
      STACK_KAFKA_HEAP: "1g",
      STACK_START_TIMEOUT_SECONDS: "5",
      STACK_REDIS_PERSISTENCE: "aof",
      STACK_REDIS_ADMIN_PASSWORD: "admin",
      STACK_REDIS_WORKER_USER: "worker",
      STACK_REDIS_WORKER_PASSWORD: "worker-pw",
      STACK_KAFKA_SASL_PORT: "29094",
      STACK_KAFKA_SASL_USERNAME: "alice",
      STACK_KAFKA_SASL_PASSWORD: "alice-pw",
      STACK_POSTGRES_PORT: "25432",
      STACK_POSTGRES_USER: "archiver",
      STACK_POSTGRES_DB: "archive_2",
      STACK_POSTGRES_PASSWORD: `it's "quoted" @:/%`,
    }),
    {
      dir: "/tmp/stack-x",
      topology: "single",
      redisPort: 26379,
      kafkaPort: 29092,
      kafkaControllerPort: 29093,
      kafkaVersion: "4.0.0",
      kafkaHeap: "1g",
      jarsDir: "/jars/kafka-4.0.0",
      startTimeoutSeconds: 5,
      redisPersistence: "aof",
      redisAdminPassword: "admin",
      redisWorkerUser: "worker",
      redisWorkerPassword: "worker-pw",
      kafkaSaslPort: 29094,
      kafkaSaslUser: "alice",
      kafkaSaslPassword: "alice-pw",
      postgresPort: 25432,
      postgresUser: "archiver",
      postgresDb: "archive_2",
      postgresPassword: `it's "quoted" @:/%`,
    },
  );
});

Deno.test("loadStackSettings() reads exactly the invalid-value table's variables and the free-form paths", () => {
  assert.deepEqual(
    variablesRead((env) => loadStackSettings(env), { ...PATHS }),
    [...Object.keys(INVALID_STACK), ...FREE_FORM_STACK_VARIABLES].sort(),
  );
});

for (const [name, { rule, values }] of Object.entries(INVALID_STACK)) {
  Deno.test(`loadStackSettings() rejects each invalid ${name} with a ConfigError naming it and the value`, () => {
    for (const value of values) {
      assert.equal(
        configErrorOf(() => loadStackSettings({ ...PATHS, [name]: value })),
        `Cannot start the stack: '${name}' ${rule}, got ${JSON.stringify(value)}`,
      );
    }
  });
}

Deno.test("loadStackSettings() rejects any two of the four ports being equal", () => {
  const cases: Env[] = [
    { STACK_KAFKA_PORT: "6379" },
    { STACK_KAFKA_CONTROLLER_PORT: "9092" },
    { STACK_REDIS_PORT: "9093" },
    { STACK_POSTGRES_PORT: "6379" },
    { STACK_KAFKA_PORT: "5432" },
  ];
  const names = "STACK_REDIS_PORT, STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT, STACK_POSTGRES_PORT";
  assert.deepEqual(cases.map((env) => configErrorOf(() => loadStackSettings({ ...PATHS, ...env }))), [
    `Cannot start the stack: '${names}' must be four different ports, got "6379, 6379, 9093, 5432"`,
    `Cannot start the stack: '${names}' must be four different ports, got "6379, 9092, 9092, 5432"`,
    `Cannot start the stack: '${names}' must be four different ports, got "9093, 9092, 9093, 5432"`,
    `Cannot start the stack: '${names}' must be four different ports, got "6379, 9092, 9093, 6379"`,
    `Cannot start the stack: '${names}' must be four different ports, got "6379, 5432, 9093, 5432"`,
  ]);
});

Deno.test("loadStackSettings() with STACK_POSTGRES_PORT=0 runs no PostgreSQL and checks only the other three ports", () => {
  assert.equal(loadStackSettings({ ...PATHS, STACK_POSTGRES_PORT: "0" }).postgresPort, 0);
  assert.equal(
    configErrorOf(() => loadStackSettings({ ...PATHS, STACK_POSTGRES_PORT: "0", STACK_KAFKA_PORT: "6379" })),
    `Cannot start the stack: 'STACK_REDIS_PORT, STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT' must be three different ports, got "6379, 6379, 9093"`,
  );
});

Deno.test("loadStackSettings() reports several invalid variables together, without a spurious port clash", () => {
  assert.equal(
    configErrorOf(() =>
      loadStackSettings({ ...PATHS, STACK_KAFKA_PORT: "70000", STACK_REDIS_PORT: "9092", STACK_KAFKA_HEAP: "lots" })
    ),
    "Cannot start the stack: " + [
      `'STACK_KAFKA_PORT' must be an integer between 1 and 65535, got "70000"`,
      `'STACK_KAFKA_HEAP' must be a JVM heap size such as 768m, got "lots"`,
    ].join("; "),
  );
});

Deno.test("loadStackSettings() rejects a SASL port without a SASL password", () => {
  assert.equal(
    configErrorOf(() => loadStackSettings({ ...PATHS, STACK_KAFKA_SASL_PORT: "9094" })),
    `Cannot start the stack: 'STACK_KAFKA_SASL_PORT' needs STACK_KAFKA_SASL_PASSWORD, got "9094"`,
  );
});

const CLUSTER: Env = { ...PATHS, STACK_TOPOLOGY: "cluster" };
const ALL_FOUR = "STACK_REDIS_PORT, STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT, STACK_POSTGRES_PORT";
const RANGES_RULE = "must start port ranges that do not overlap with STACK_TOPOLOGY=cluster";

Deno.test("loadStackSettings() with STACK_TOPOLOGY=cluster moves the controllers' default to 9095, after Kafka's 9092-9094", () => {
  const settings = loadStackSettings(CLUSTER);
  assert.deepEqual(
    [settings.topology, settings.redisPort, settings.kafkaPort, settings.kafkaControllerPort, settings.postgresPort],
    ["cluster", 6379, 9092, 9095, 5432],
  );
  assert.equal(loadStackSettings({ ...CLUSTER, STACK_KAFKA_CONTROLLER_PORT: "19292" }).kafkaControllerPort, 19292);
});

Deno.test("loadStackSettings() with STACK_TOPOLOGY=cluster rejects overlapping port ranges, naming the variables and ranges", () => {
  const cases: Env[] = [
    // Kafka 9093-9095 meets the controllers at 9095.
    { STACK_KAFKA_PORT: "9093" },
    // Inside Redis' six ports.
    { STACK_KAFKA_PORT: "6384" },
    { STACK_POSTGRES_PORT: "6380" },
    // On a Redis node's cluster bus port (its port + 10000).
    { STACK_KAFKA_CONTROLLER_PORT: "16383" },
  ];
  assert.deepEqual(cases.map((env) => configErrorOf(() => loadStackSettings({ ...CLUSTER, ...env }))), [
    `Cannot start the stack: '${ALL_FOUR}' ${RANGES_RULE}, got "redis 6379-6384, redis cluster bus 16379-16384, ` +
    `kafka 9093-9095, kafka controllers 9095-9097, postgres 5432"`,
    `Cannot start the stack: '${ALL_FOUR}' ${RANGES_RULE}, got "redis 6379-6384, redis cluster bus 16379-16384, ` +
    `kafka 6384-6386, kafka controllers 9095-9097, postgres 5432"`,
    `Cannot start the stack: '${ALL_FOUR}' ${RANGES_RULE}, got "redis 6379-6384, redis cluster bus 16379-16384, ` +
    `kafka 9092-9094, kafka controllers 9095-9097, postgres 6380"`,
    `Cannot start the stack: '${ALL_FOUR}' ${RANGES_RULE}, got "redis 6379-6384, redis cluster bus 16379-16384, ` +
    `kafka 9092-9094, kafka controllers 16383-16385, postgres 5432"`,
  ]);
});

Deno.test("loadStackSettings() with STACK_TOPOLOGY=cluster checks the SASL range of 3 and leaves PostgreSQL out at 0", () => {
  assert.equal(
    configErrorOf(() =>
      loadStackSettings({
        ...CLUSTER,
        STACK_POSTGRES_PORT: "0",
        STACK_KAFKA_SASL_PORT: "9090",
        STACK_KAFKA_SASL_PASSWORD: "pw",
      })
    ),
    "Cannot start the stack: 'STACK_REDIS_PORT, STACK_KAFKA_PORT, STACK_KAFKA_CONTROLLER_PORT, STACK_KAFKA_SASL_PORT' " +
      `${RANGES_RULE}, got "redis 6379-6384, redis cluster bus 16379-16384, kafka 9092-9094, ` +
      `kafka controllers 9095-9097, kafka sasl 9090-9092"`,
  );
  assert.equal(
    loadStackSettings({ ...CLUSTER, STACK_KAFKA_SASL_PORT: "9098", STACK_KAFKA_SASL_PASSWORD: "pw" }).kafkaSaslPort,
    9098,
  );
});

Deno.test("loadStackSettings() with STACK_TOPOLOGY=cluster rejects a range that would end past 65535", () => {
  assert.deepEqual(
    [
      { STACK_REDIS_PORT: "55531" },
      { STACK_KAFKA_PORT: "65534" },
      { STACK_KAFKA_CONTROLLER_PORT: "65535", STACK_REDIS_PORT: "55531" },
    ].map((env) => configErrorOf(() => loadStackSettings({ ...CLUSTER, ...env }))),
    [
      `Cannot start the stack: 'STACK_REDIS_PORT' must be at most 55530 with STACK_TOPOLOGY=cluster, got "55531"`,
      `Cannot start the stack: 'STACK_KAFKA_PORT' must be at most 65533 with STACK_TOPOLOGY=cluster, got "65534"`,
      "Cannot start the stack: " + [
        `'STACK_REDIS_PORT' must be at most 55530 with STACK_TOPOLOGY=cluster, got "55531"`,
        `'STACK_KAFKA_CONTROLLER_PORT' must be at most 65533 with STACK_TOPOLOGY=cluster, got "65535"`,
      ].join("; "),
    ],
  );
  assert.equal(loadStackSettings({ ...CLUSTER, STACK_REDIS_PORT: "55530" }).redisPort, 55530);
});

Deno.test("loadStackSettings() checks the cluster's ranges only with STACK_TOPOLOGY=cluster", () => {
  // Adjacent ports are fine for one node each.
  const adjacent = {
    ...PATHS,
    STACK_REDIS_PORT: "9091",
    STACK_KAFKA_PORT: "9092",
    STACK_KAFKA_CONTROLLER_PORT: "9093",
  };
  assert.equal(loadStackSettings(adjacent).topology, "single");
  assert.match(configErrorOf(() => loadStackSettings({ ...adjacent, STACK_TOPOLOGY: "cluster" })), /do not overlap/);
});
