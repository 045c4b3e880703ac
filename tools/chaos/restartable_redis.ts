/**
 * A stack's redis-server (stack/redis_server.ts) that the chaos suite and the tests stop, crash and
 * restart at will: from its last snapshot or AOF, after a SIGKILL, or empty.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { crashRedis, startRedis, stopRedis } from "../stack/redis_server.ts";
import type { StackSettings } from "../stack/settings.ts";

/**
 * How Redis goes down before it starts again: stopped without saving (it comes back from its last SAVE or
 * its AOF), SIGKILLed (it comes back with what it had written to disk), or stopped with its files removed.
 */
export type RedisRestart = "stop" | "crash" | "empty";

/** The redis-server of `settings` (its port and folder), with its persistence changeable between runs. */
export class RestartableRedis {
  #settings: StackSettings;

  constructor(settings: StackSettings) {
    this.#settings = settings;
  }

  /** The settings it runs with now. */
  get settings(): StackSettings {
    return this.#settings;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.#settings.redisPort}`;
  }

  /** Starts it (a no-op when it runs) and waits until it answers. */
  start(): Promise<void> {
    return startRedis(this.#settings);
  }

  /** Stops it without saving; false when it was not running. */
  stop(): Promise<boolean> {
    return stopRedis(this.#settings);
  }

  /** Takes it down as `how` says and starts it again. */
  async restart(how: RedisRestart = "stop"): Promise<void> {
    if (how === "crash") await crashRedis(this.#settings);
    else await this.stop();
    if (how === "empty") {
      const dir = join(this.#settings.dir, "redis");
      rmSync(join(dir, "dump.rdb"), { force: true });
      rmSync(join(dir, "appendonlydir"), { recursive: true, force: true });
    }
    await this.start();
  }

  /** Restarts it empty with `persistence` when it runs with another. */
  async usePersistence(persistence: StackSettings["redisPersistence"]): Promise<void> {
    if (persistence === this.#settings.redisPersistence) return;
    this.#settings = { ...this.#settings, redisPersistence: persistence };
    await this.restart("empty");
  }
}
