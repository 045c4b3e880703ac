/**
 * The Lua scripts of lua/, called by SHA and reloaded once on NOSCRIPT.
 * The sources are imported as text, so Deno and Bun read them from lua/ when running from source and
 * `bun build --compile` / `deno compile` embed them: a binary needs no files next to it.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import appendWorkEntries from "../../lua/append_work_entries.lua" with { type: "text" };
import claimFlightWork from "../../lua/claim_flight_work.lua" with { type: "text" };
import confirmFlightWork from "../../lua/confirm_flight_work.lua" with { type: "text" };
import deleteOrphanBags from "../../lua/delete_orphan_bags.lua" with { type: "text" };
import expireFlights from "../../lua/expire_flights.lua" with { type: "text" };
import failFlightWork from "../../lua/fail_flight_work.lua" with { type: "text" };
import readHashFields from "../../lua/read_hash_fields.lua" with { type: "text" };
import restoreFlightWork from "../../lua/restore_flight_work.lua" with { type: "text" };
import upsertBags from "../../lua/upsert_bags.lua" with { type: "text" };
import upsertFlights from "../../lua/upsert_flights.lua" with { type: "text" };

/** The text of each lua/<name>.lua. */
const SOURCES = {
  upsert_flights: upsertFlights,
  upsert_bags: upsertBags,
  claim_flight_work: claimFlightWork,
  confirm_flight_work: confirmFlightWork,
  fail_flight_work: failFlightWork,
  append_work_entries: appendWorkEntries,
  expire_flights: expireFlights,
  delete_orphan_bags: deleteOrphanBags,
  read_hash_fields: readHashFields,
  restore_flight_work: restoreFlightWork,
} as const satisfies Record<string, string>;

export type ScriptName = keyof typeof SOURCES;

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

/** The text of lua/<name>.lua. */
export function scriptSource(name: ScriptName): string {
  return SOURCES[name];
}

/** Loads `name` into Redis and returns it bound to `redis`. */
export async function loadScript(redis: Redis, name: ScriptName): Promise<LuaScript> {
  const script = new LuaScript(name, scriptSource(name), redis);
  await redis.script("LOAD", scriptSource(name));
  return script;
}
