/**
 * A redis-server of a test's own (free port, temporary folder) with real persistence, to restart from a
 * snapshot or crash at will without touching the test stack's Redis.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestartableRedis } from "../../tools/chaos/restartable_redis.ts";
import { portInUse } from "../../tools/stack/daemons.ts";
import { loadStackSettings } from "../../tools/stack/settings.ts";

/** A test's own Redis, removed with its folder at the end. */
export class OwnRedis extends RestartableRedis {
  /** Starts a Redis with `persistence` ("none": only SAVE writes; "aof": appendfsync everysec). */
  static async start(persistence: "none" | "aof"): Promise<OwnRedis> {
    const dir = mkdtempSync(join(tmpdir(), "own-redis-"));
    let port = 0;
    for (let attempt = 0; attempt < 50 && port === 0; attempt++) {
      // Below Linux's ephemeral range (32768 and up), where an outgoing connection could hold the port.
      const candidate = 20_000 + Math.floor(Math.random() * 12_000);
      if (!await portInUse(candidate)) port = candidate;
    }
    const own = new OwnRedis(loadStackSettings({
      STACK_DIR: dir,
      STACK_REDIS_PORT: String(port),
      STACK_KAFKA_PORT: String(port + 1),
      STACK_KAFKA_CONTROLLER_PORT: String(port + 2),
      STACK_REDIS_PERSISTENCE: persistence,
      STACK_POSTGRES_PORT: "0",
    }));
    await own.start();
    return own;
  }

  /** SIGKILLs Redis and starts it again: it comes back with what it had written to disk. */
  crashAndRestart(): Promise<void> {
    return this.restart("crash");
  }

  /** Stops Redis and removes its folder. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.settings.dir, { recursive: true, force: true });
  }
}
