/** A second local stack with Redis ACLs and Kafka SASL, on its own ports, for the security tests. */
import process from "node:process";
import { spawnSync } from "node:child_process";
import { environment } from "../../lib/infra/runtime.ts";

export const SECRETS = {
  redisAdmin: "admin-Pw-7731",
  redisWorker: "worker-Pw-4410",
  kafka: "kafka-Pw-9025",
} as const;

export const SECURED_STACK_ENV = {
  STACK_DIR: ".stack/secured-test",
  STACK_REDIS_PORT: "46500",
  STACK_KAFKA_PORT: "46592",
  STACK_KAFKA_CONTROLLER_PORT: "46593",
  STACK_KAFKA_SASL_PORT: "46594",
  STACK_KAFKA_SASL_PASSWORD: SECRETS.kafka,
  STACK_REDIS_ADMIN_PASSWORD: SECRETS.redisAdmin,
  STACK_REDIS_WORKER_PASSWORD: SECRETS.redisWorker,
  STACK_KAFKA_HEAP: "256m",
  // The security tests cover Redis and Kafka; this stack runs no PostgreSQL.
  STACK_POSTGRES_PORT: "0",
} as const;

/** What the workers get: SASL to Kafka, the ACL user to Redis. */
export const WORKER_SECURITY_ENV = {
  KAFKA_BROKERS: "127.0.0.1:46594",
  KAFKA_SASL_MECHANISM: "scram-sha-512",
  KAFKA_SASL_USERNAME: "baggage-router",
  KAFKA_SASL_PASSWORD: SECRETS.kafka,
  REDIS_URL: `redis://baggage-router:${SECRETS.redisWorker}@127.0.0.1:46500`,
} as const;

export const ADMIN_REDIS_URL = `redis://default:${SECRETS.redisAdmin}@127.0.0.1:46500`;

/** Runs `tools/stack/stack.ts <command>` for the secured stack; throws with its output on failure. */
export function securedStack(command: "up" | "down"): void {
  const result = spawnSync(process.execPath, ["run", "-A", "tools/stack/stack.ts", command], {
    env: { ...environment(), ...SECURED_STACK_ENV },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`secured stack ${command} failed:\n${result.stdout}${result.stderr}`);
}
