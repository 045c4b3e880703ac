/** Where and how the local stack runs; every value can be overridden by an environment variable. */
import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { EnvReader } from "../../lib/infra/config.ts";
import { environment } from "../../lib/infra/runtime.ts";

/** A PostgreSQL role or database name the stack creates. */
const POSTGRES_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const POSTGRES_NAME_RULE = "must be 1-63 lowercase letters, digits or '_', not starting with a digit";

/** Reads the stack settings (STACK_* and KAFKA_VERSION) with their defaults. */
export function loadStackSettings(env = environment()) {
  const r = new EnvReader(env);
  const dir = resolve(r.string("STACK_DIR", ".stack/dev"));
  const kafkaVersion = r.string("KAFKA_VERSION", "4.1.1", /^4\.\d+\.\d+$/, "must be a 4.x.y Kafka version");
  const cacheRoot = r.string(
    "STACK_CACHE_DIR",
    join(r.raw("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "baggage-router"),
  );
  const settings = {
    dir,
    redisPort: r.integer("STACK_REDIS_PORT", 6379, 1, 65535),
    kafkaPort: r.integer("STACK_KAFKA_PORT", 9092, 1, 65535),
    kafkaControllerPort: r.integer("STACK_KAFKA_CONTROLLER_PORT", 9093, 1, 65535),
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
  r.assertValid("Cannot start the stack");
  return Object.freeze(settings);
}

export type StackSettings = ReturnType<typeof loadStackSettings>;
