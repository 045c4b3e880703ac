/** The chaos suite's own Redis, Kafka and PostgreSQL (stack/ modules with the chaos folder and ports), stopped and restarted at will. */
import { environment } from "../../lib/infra/runtime.ts";
import { startKafka, stopKafka } from "../stack/kafka_broker.ts";
import { stackPostgresUrl, startPostgres, stopPostgres } from "../stack/postgres_server.ts";
import { loadStackSettings, type StackSettings } from "../stack/settings.ts";
import { RestartableRedis } from "./restartable_redis.ts";
import type { ChaosSettings } from "./settings.ts";

/** Start and stop functions for the chaos stack's servers. */
export class ChaosStack {
  readonly settings: StackSettings;
  /** The stack's Redis, which runs without persistence until a scenario asks for another. */
  readonly redis: RestartableRedis;

  constructor(stack: ChaosSettings["stack"]) {
    // Only where the Kafka jars are and how big the broker is come from the environment: no password, port or
    // folder of another stack (`deno task test` exports the test stack's) may leak in.
    const env = environment();
    const inherited = [
      "XDG_CACHE_HOME",
      "STACK_CACHE_DIR",
      "KAFKA_VERSION",
      "STACK_KAFKA_HEAP",
      "STACK_START_TIMEOUT_SECONDS",
    ];
    this.settings = loadStackSettings({
      ...Object.fromEntries(inherited.map((name) => [name, env[name]])),
      STACK_DIR: stack.dir,
      STACK_REDIS_PORT: String(stack.redisPort),
      STACK_KAFKA_PORT: String(stack.kafkaPort),
      STACK_KAFKA_CONTROLLER_PORT: String(stack.kafkaControllerPort),
      STACK_POSTGRES_PORT: String(stack.postgresPort),
    });
    this.redis = new RestartableRedis(this.settings);
  }

  get redisUrl(): string {
    return this.redis.url;
  }

  get brokers(): string {
    return `127.0.0.1:${this.settings.kafkaPort}`;
  }

  /** The stack's PostgreSQL database, for the stack's role. */
  get postgresUrl(): string {
    return stackPostgresUrl(this.settings);
  }

  /** Starts the servers (a no-op for one already running) and waits until they answer. */
  async up(): Promise<void> {
    await this.redis.start();
    await startPostgres(this.settings);
    await startKafka(this.settings);
  }

  /** Stops the servers. */
  async down(): Promise<void> {
    await stopKafka(this.settings);
    await stopPostgres(this.settings);
    await this.redis.stop();
  }

  stopKafka(): Promise<boolean> {
    return stopKafka(this.settings);
  }

  startKafka(): Promise<void> {
    return startKafka(this.settings);
  }

  /** Stops PostgreSQL (fast shutdown); whether it was running. */
  stopPostgres(): Promise<boolean> {
    return stopPostgres(this.settings);
  }

  startPostgres(): Promise<void> {
    return startPostgres(this.settings);
  }
}
