/** Loads the Lua scripts in lua/ once and calls them by SHA, reloading once on NOSCRIPT. */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { readTextFile } from "./runtime.ts";

export type ScriptName =
  | "upsert_flights"
  | "upsert_bags"
  | "claim_flight_work"
  | "confirm_flight_work"
  | "append_work_entries"
  | "expire_flights";

/** A Lua script bound to a Redis connection. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly name: ScriptName, private readonly source: string, private readonly redis: Redis) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  /** Runs the script with `keys` and `args`; a Redis restart that emptied the script cache is handled here. */
  async run(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      await this.redis.script("LOAD", this.source);
      return await this.redis.evalsha(this.sha, keys.length, ...keys, ...args);
    }
  }
}

const sources = new Map<ScriptName, string>();

/** The text of lua/<name>.lua, read once per process. */
export function scriptSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = readTextFile(new URL(`../lua/${name}.lua`, import.meta.url));
    sources.set(name, source);
  }
  return source;
}

/** Loads `name` into Redis and returns it bound to `redis`. */
export async function loadScript(redis: Redis, name: ScriptName): Promise<LuaScript> {
  const script = new LuaScript(name, scriptSource(name), redis);
  await redis.script("LOAD", scriptSource(name));
  return script;
}
