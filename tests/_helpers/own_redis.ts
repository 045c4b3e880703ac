/**
 * A redis-server of a test's own (free port, temporary folder) with real persistence, to restart from a
 * snapshot or crash at will without touching the test stack's Redis.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crashRedis, startRedis, stopRedis } from "../../tools/stack/redis_server.ts";
import { portInUse } from "../../tools/stack/daemons.ts";
import { loadStackSettings, type StackSettings } from "../../tools/stack/settings.ts";

export class OwnRedis {
  private constructor(readonly settings: StackSettings) {}

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
    }));
    await startRedis(own.settings);
    return own;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.settings.redisPort}`;
  }

  /** Stops Redis without saving and starts it again: it comes back from its last snapshot (or its AOF). */
  async restart(): Promise<void> {
    await stopRedis(this.settings);
    await startRedis(this.settings);
  }

  /** SIGKILLs Redis and starts it again: it comes back with what it had written to disk. */
  async crashAndRestart(): Promise<void> {
    await crashRedis(this.settings);
    await startRedis(this.settings);
  }

  /** Stops Redis and removes its folder. */
  async remove(): Promise<void> {
    await stopRedis(this.settings);
    rmSync(this.settings.dir, { recursive: true, force: true });
  }
}
