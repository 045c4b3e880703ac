/** Where and how the local stack runs; every value can be overridden by an environment variable. */
import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { EnvReader } from "../../lib/infra/config.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { CLUSTER_SIZES, REDIS_CLUSTER_BUS_OFFSET, TOPOLOGIES } from "./topology.ts";

/** A PostgreSQL role or database name the stack creates. */
const POSTGRES_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const POSTGRES_NAME_RULE = "must be 1-63 lowercase letters, digits or '_', not starting with a digit";

/** The stack's folder (STACK_DIR), absolute. */
export function stackDir(env = environment()): string {
  return resolve(new EnvReader(env).string("STACK_DIR", ".stack/dev"));
}

/** Reads the stack settings (STACK_* and KAFKA_VERSION) with their defaults. */
export function loadStackSettings(env = environment()) {
  const r = new EnvReader(env);
  const dir = stackDir(env);
  const kafkaVersion = r.string("KAFKA_VERSION", "4.1.1", /^4\.\d+\.\d+$/, "must be a 4.x.y Kafka version");
  const cacheRoot = r.string(
    "STACK_CACHE_DIR",
    join(r.raw("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "baggage-router"),
  );
  /** single: one Redis and one Kafka node; cluster: a Redis Cluster of six nodes and three Kafka nodes. */
  const topology = r.oneOf("STACK_TOPOLOGY", "single", TOPOLOGIES);
  const settings = {
    dir,
    topology,
    redisPort: r.integer("STACK_REDIS_PORT", 6379, 1, 65535),
    kafkaPort: r.integer("STACK_KAFKA_PORT", 9092, 1, 65535),
    // The cluster's client ports 9092-9094 would overlap 9093.
    kafkaControllerPort: r.integer("STACK_KAFKA_CONTROLLER_PORT", topology === "single" ? 9093 : 9095, 1, 65535),
    kafkaVersion,
    kafkaHeap: r.string("STACK_KAFKA_HEAP", "768m", /^\d+[mg]$/, "must be a JVM heap size such as 768m"),
    jarsDir: join(resolve(cacheRoot), `kafka-${kafkaVersion}`),
    startTimeoutSeconds: r.integer("STACK_START_TIMEOUT_SECONDS", 90, 5, 3600),
    /** none: nothing written but what SAVE asks for; aof: appendonly with appendfsync everysec, as in compose. */
    redisPersistence: r.oneOf("STACK_REDIS_PERSISTENCE", "none", ["none", "aof"] as const),
    /** When set, Redis requires this password of its `default` (administrator) user. */
    redisAdminPassword: r.optionalString("STACK_REDIS_ADMIN_PASSWORD"),
    /** When set, Redis has an ACL user for the workers, limited to their commands and key patterns. */
    redisWorkerUser: r.string(
      "STACK_REDIS_WORKER_USER",
      "baggage-router",
      /^[\w.-]{1,64}$/,
      "must be 1-64 letters, digits, '_', '.' or '-'",
    ),
    redisWorkerPassword: r.optionalString("STACK_REDIS_WORKER_PASSWORD"),
    /** When not 0, Kafka also listens here with SASL SCRAM-SHA-512 for the user below. */
    kafkaSaslPort: r.integer("STACK_KAFKA_SASL_PORT", 0, 0, 65535),
    kafkaSaslUser: r.string(
      "STACK_KAFKA_SASL_USERNAME",
      "baggage-router",
      /^[\w.-]{1,64}$/,
      "must be 1-64 letters, digits, '_', '.' or '-'",
    ),
    kafkaSaslPassword: r.optionalString("STACK_KAFKA_SASL_PASSWORD"),
    /** 0: the stack runs no PostgreSQL. */
    postgresPort: r.integer("STACK_POSTGRES_PORT", 5432, 0, 65535),
    /** Names go into SQL as identifiers: lowercase, so quoted and unquoted spellings mean the same. */
    postgresUser: r.string("STACK_POSTGRES_USER", "baggage_router", POSTGRES_NAME, POSTGRES_NAME_RULE),
    postgresDb: r.string("STACK_POSTGRES_DB", "baggage_router", POSTGRES_NAME, POSTGRES_NAME_RULE),
    /** A development default, as in docker-compose.yml. */
    postgresPassword: r.string(
      "STACK_POSTGRES_PASSWORD",
      "baggage-router",
      /^[\x20-\x7e]{1,100}$/,
      "must be 1-100 printable ASCII characters",
    ),
  };
  if (settings.kafkaSaslPort !== 0 && settings.kafkaSaslPassword === undefined) {
    r.fail("STACK_KAFKA_SASL_PORT", "needs STACK_KAFKA_SASL_PASSWORD", String(settings.kafkaSaslPort));
  }
  if (topology === "single") requireDistinctPorts(r, settings);
  else requireDisjointRanges(r, settings);
  r.assertValid("Cannot start the stack");
  return Object.freeze(settings);
}

export type StackSettings = ReturnType<typeof loadStackSettings>;

/** The ports the stack's servers listen on (0: that server does not run). */
interface Ports {
  readonly redisPort: number;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly kafkaSaslPort: number;
  readonly postgresPort: number;
}

/** The single topology: Redis, Kafka, its controller and PostgreSQL (when it runs) on different ports. */
function requireDistinctPorts(r: EnvReader, settings: Ports): void {
  const { redisPort, kafkaPort, kafkaControllerPort, postgresPort } = settings;
  const ports = new Map([
    ["STACK_REDIS_PORT", redisPort],
    ["STACK_KAFKA_PORT", kafkaPort],
    ["STACK_KAFKA_CONTROLLER_PORT", kafkaControllerPort],
  ]);
  if (postgresPort !== 0) ports.set("STACK_POSTGRES_PORT", postgresPort);
  if (r.valid(...ports.keys()) && new Set(ports.values()).size < ports.size) {
    const count = ports.size === 3 ? "three" : "four";
    r.fail([...ports.keys()].join(", "), `must be ${count} different ports`, [...ports.values()].join(", "));
  }
}

/**
 * The cluster topology: each variable starts a range (Redis 6 ports and their cluster bus ports 10000 above, Kafka
 * clients 3, controllers 3, SASL 3 when on, PostgreSQL 1) that must end by 65535 and overlap no other.
 */
function requireDisjointRanges(r: EnvReader, settings: Ports): void {
  const { redisNodes, kafkaNodes } = CLUSTER_SIZES;
  const range = (variable: string, name: string, value: number, count: number, offset = 0) => ({
    variable,
    name,
    value,
    offset,
    first: value + offset,
    count,
  });
  const ranges = [
    range("STACK_REDIS_PORT", "redis", settings.redisPort, redisNodes),
    range("STACK_REDIS_PORT", "redis cluster bus", settings.redisPort, redisNodes, REDIS_CLUSTER_BUS_OFFSET),
    range("STACK_KAFKA_PORT", "kafka", settings.kafkaPort, kafkaNodes),
    range("STACK_KAFKA_CONTROLLER_PORT", "kafka controllers", settings.kafkaControllerPort, kafkaNodes),
  ];
  if (settings.kafkaSaslPort !== 0) {
    ranges.push(range("STACK_KAFKA_SASL_PORT", "kafka sasl", settings.kafkaSaslPort, kafkaNodes));
  }
  if (settings.postgresPort !== 0) ranges.push(range("STACK_POSTGRES_PORT", "postgres", settings.postgresPort, 1));
  const variables = [...new Set(ranges.map(({ variable }) => variable))];
  if (!r.valid(...variables)) return;
  for (const variable of variables) {
    const own = ranges.filter((candidate) => candidate.variable === variable);
    const highest = Math.min(...own.map(({ offset, count }) => 65535 - offset - (count - 1)));
    if (own[0]!.value > highest) {
      r.fail(variable, `must be at most ${highest} with STACK_TOPOLOGY=cluster`, String(own[0]!.value));
    }
  }
  if (!r.valid(...variables)) return;
  const overlap = ranges.some((a, i) =>
    ranges.some((b, j) => i < j && a.first < b.first + b.count && b.first < a.first + a.count)
  );
  if (overlap) {
    const shown = ranges.map(({ name, first, count }) =>
      `${name} ${first}${count === 1 ? "" : `-${first + count - 1}`}`
    );
    r.fail(
      variables.join(", "),
      "must start port ranges that do not overlap with STACK_TOPOLOGY=cluster",
      shown.join(", "),
    );
  }
}
