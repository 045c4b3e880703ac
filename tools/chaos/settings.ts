/** The chaos suite's settings (CHAOS_* variables), validated once; the stack's ports are its own, never a shared stack's. */
import { EnvReader } from "../../lib/infra/config.ts";
import { environment } from "../../lib/infra/runtime.ts";

/** Ports of the dev stack and the shared test stack: the chaos suite stops and restarts its servers, so never these. */
const SHARED_PORTS = [6379, 9092, 9093, 5432, 16379, 19092, 19093, 15432];

/**
 * Scenario numbers: 1 kills, 2 Kafka outage, 3 Redis data loss, 4 slow Redis, 5 replicas (issue 6); 6 Redis back
 * from an older snapshot, 7 Redis with an everysec AOF SIGKILLed, 8 Redis outage (issue 12); 9 PostgreSQL outage
 * (issue 15).
 */
export const SCENARIO_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
export type ScenarioNumber = typeof SCENARIO_NUMBERS[number];

/** Reads the chaos settings from `env`. */
export function loadChaosSettings(env: Record<string, string | undefined> = environment()) {
  const r = new EnvReader(env);
  const scenarios = r.string(
    "CHAOS_SCENARIOS",
    "1,2,3,4,5,6,7,8,9",
    /^(none|[1-9](,[1-9])*)$/,
    "must be a list such as 1,3,5, or none (the fault-free run only)",
  );
  const settings = {
    bags: r.integer("CHAOS_BAGS", 50_000, 1_000, 1_000_000),
    seed: r.integer("CHAOS_SEED", 7, 0, 2 ** 32 - 1),
    scenarios: scenarios === "none" ? [] : [...new Set(scenarios.split(",").map(Number))].sort() as ScenarioNumber[],
    stack: {
      dir: r.string("CHAOS_STACK_DIR", ".stack/chaos"),
      redisPort: r.integer("CHAOS_REDIS_PORT", 36379, 1024, 65535),
      kafkaPort: r.integer("CHAOS_KAFKA_PORT", 39092, 1024, 65535),
      kafkaControllerPort: r.integer("CHAOS_KAFKA_CONTROLLER_PORT", 39093, 1024, 65535),
      postgresPort: r.integer("CHAOS_POSTGRES_PORT", 35432, 1024, 65535),
    },
    /** Phase 1 is produced evenly over this long while the workers run, so that faults land mid-stream. */
    produceMs: r.integer("CHAOS_PRODUCE_SECONDS", 15, 0, 600) * 1000,
    /** How long one stage of a run (consuming, scanning, mirroring) may take. */
    stageTimeoutMs: r.integer("CHAOS_STAGE_TIMEOUT_SECONDS", 240, 10, 3600) * 1000,
    /** Largest resident memory a worker may reach, in any scenario. */
    maxRssMb: r.integer("CHAOS_MAX_RSS_MB", 512, 64, 65536),
    kafkaOutageMs: r.integer("CHAOS_KAFKA_OUTAGE_SECONDS", 180, 1, 600) * 1000,
    redisOutageMs: r.integer("CHAOS_REDIS_OUTAGE_SECONDS", 180, 1, 600) * 1000,
    postgresOutageMs: r.integer("CHAOS_POSTGRES_OUTAGE_SECONDS", 20, 1, 600) * 1000,
    slowRedisMs: r.integer("CHAOS_SLOW_REDIS_SECONDS", 25, 1, 600) * 1000,
    /** Kills per worker in scenario 1. */
    killsPerWorker: r.integer("CHAOS_KILLS_PER_WORKER", 3, 1, 10),
    reportFile: r.optionalString("CHAOS_REPORT_FILE"),
    keepStack: r.boolean("CHAOS_KEEP_STACK", false),
    /** Log each fault and recovery with the progress figures. */
    debug: r.boolean("CHAOS_DEBUG", false),
  };
  const { redisPort, kafkaPort, kafkaControllerPort, postgresPort } = settings.stack;
  const ports = [
    ["CHAOS_REDIS_PORT", redisPort],
    ["CHAOS_KAFKA_PORT", kafkaPort],
    ["CHAOS_KAFKA_CONTROLLER_PORT", kafkaControllerPort],
    ["CHAOS_POSTGRES_PORT", postgresPort],
  ] as const;
  for (const [name, port] of ports) {
    if (SHARED_PORTS.includes(port)) r.fail(name, "must not be a port of the dev or shared test stack", String(port));
  }
  if (new Set(ports.map(([, port]) => port)).size < ports.length) {
    r.fail(
      ports.map(([name]) => name).join(", "),
      "must be four different ports",
      ports.map(([, port]) => port).join(", "),
    );
  }
  r.assertValid("Cannot run the chaos suite");
  return Object.freeze(settings);
}

export type ChaosSettings = ReturnType<typeof loadChaosSettings>;
