/** The chaos suite's own Redis and Kafka (stack/ modules with the chaos folder and ports), stopped and restarted at will. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { environment } from "../../lib/infra/runtime.ts";
import { startKafka, stopKafka } from "../stack/kafka_broker.ts";
import { crashRedis, startRedis, stopRedis } from "../stack/redis_server.ts";
import { loadStackSettings, type StackSettings } from "../stack/settings.ts";
import type { ChaosSettings } from "./settings.ts";

/** Start and stop functions for the chaos stack's servers. */
export class ChaosStack {
  readonly settings: StackSettings;
  private persistence: StackSettings["redisPersistence"] = "none";

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
    });
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.settings.redisPort}`;
  }

  get brokers(): string {
    return `127.0.0.1:${this.settings.kafkaPort}`;
  }

  /** The settings Redis runs with now: its persistence changes between scenarios. */
  private get redisSettings(): StackSettings {
    return { ...this.settings, redisPersistence: this.persistence };
  }

  /** Starts both servers (a no-op for one already running) and waits until they answer. */
  async up(): Promise<void> {
    await startRedis(this.redisSettings);
    await startKafka(this.settings);
  }

  /** Stops both servers. */
  async down(): Promise<void> {
    await stopKafka(this.settings);
    await stopRedis(this.settings);
  }

  /** Stops Redis, removes what it wrote to disk, and starts it again empty. */
  async restartRedisEmpty(): Promise<void> {
    await stopRedis(this.settings);
    this.removeRedisFiles();
    await startRedis(this.redisSettings);
  }

  /** Restarts Redis empty with `persistence` when it runs with another. */
  async useRedisPersistence(persistence: StackSettings["redisPersistence"]): Promise<void> {
    if (persistence === this.persistence) return;
    this.persistence = persistence;
    await this.restartRedisEmpty();
  }

  /** Stops Redis without saving and starts it again: it comes back from its last SAVE (or its AOF). */
  async restartRedis(): Promise<void> {
    await stopRedis(this.settings);
    await startRedis(this.redisSettings);
  }

  /** SIGKILLs Redis and starts it again with what it had written to disk. */
  async crashRedis(): Promise<void> {
    await crashRedis(this.settings);
    await startRedis(this.redisSettings);
  }

  stopRedis(): Promise<boolean> {
    return stopRedis(this.settings);
  }

  startRedis(): Promise<void> {
    return startRedis(this.redisSettings);
  }

  private removeRedisFiles(): void {
    const dir = join(this.settings.dir, "redis");
    rmSync(join(dir, "dump.rdb"), { force: true });
    rmSync(join(dir, "appendonlydir"), { recursive: true, force: true });
  }

  stopKafka(): Promise<boolean> {
    return stopKafka(this.settings);
  }

  startKafka(): Promise<void> {
    return startKafka(this.settings);
  }
}
