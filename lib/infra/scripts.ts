/**
 * The Lua scripts of lua/: one table, one bound set per Redis connection (scriptsOf), each called by
 * SHA and reloaded once on NOSCRIPT. The sources are imported as text, so Deno and Bun read them from
 * lua/ when running from source and `bun build --compile` / `deno compile` embed them: a binary needs
 * no files next to it.
 *
 * The scripts' return codes are defined here once (SCRIPT_CODES) and given to every script as Lua
 * locals, so a script writes `return {BEHIND, recorded, 0}` and its callers compare with the same value.
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.ts";
import appendWorkEntries from "../../lua/append_work_entries.lua" with { type: "text" };
import applyBaggageMessages from "../../lua/apply_baggage_messages.lua" with { type: "text" };
import claimFlightWork from "../../lua/claim_flight_work.lua" with { type: "text" };
import confirmFlightWork from "../../lua/confirm_flight_work.lua" with { type: "text" };
import deleteOrphanBags from "../../lua/delete_orphan_bags.lua" with { type: "text" };
import expireFlights from "../../lua/expire_flights.lua" with { type: "text" };
import failFlightWork from "../../lua/fail_flight_work.lua" with { type: "text" };
import markDueFlights from "../../lua/mark_due_flights.lua" with { type: "text" };
import readDueDepartures from "../../lua/read_due_departures.lua" with { type: "text" };
import readDueItineraries from "../../lua/read_due_itineraries.lua" with { type: "text" };
import readArrivals from "../../lua/read_arrivals.lua" with { type: "text" };
import readHashFields from "../../lua/read_hash_fields.lua" with { type: "text" };
import restoreFlightWork from "../../lua/restore_flight_work.lua" with { type: "text" };
import sumCounters from "../../lua/sum_counters.lua" with { type: "text" };
import upsertBags from "../../lua/upsert_bags.lua" with { type: "text" };
import upsertFlights from "../../lua/upsert_flights.lua" with { type: "text" };

/** The text of each lua/<name>.lua. */
const SOURCES = {
  upsert_flights: upsertFlights,
  upsert_bags: upsertBags,
  mark_due_flights: markDueFlights,
  apply_baggage_messages: applyBaggageMessages,
  claim_flight_work: claimFlightWork,
  confirm_flight_work: confirmFlightWork,
  fail_flight_work: failFlightWork,
  append_work_entries: appendWorkEntries,
  expire_flights: expireFlights,
  delete_orphan_bags: deleteOrphanBags,
  read_hash_fields: readHashFields,
  read_arrivals: readArrivals,
  sum_counters: sumCounters,
  read_due_itineraries: readDueItineraries,
  read_due_departures: readDueDepartures,
  restore_flight_work: restoreFlightWork,
} as const satisfies Record<string, string>;

export type ScriptName = keyof typeof SOURCES;

/** Every status code a script returns, by the name the scripts use for it. */
export const SCRIPT_CODES = {
  /** upsert_flights, upsert_bags, append_work_entries: the chunk was applied. */
  APPLIED: 1,
  /** upsert_flights, upsert_bags, append_work_entries: RedisClient records less than required; nothing written. */
  BEHIND: -20,
  /** claim_flight_work: the work is as last published (or dead-lettered); nothing to publish. */
  UNCHANGED: 0,
  /** claim_flight_work: another live scan holds the claim. */
  CLAIMED_ELSEWHERE: -1,
  /** apply_baggage_messages: a bag is not as the caller read it; nothing written (read again and retry). */
  STALE: -30,
} as const;

/** The Lua locals defining SCRIPT_CODES, one line, put after a script's `#!lua` line if it has one. */
const CODES_PREAMBLE = `local ${Object.keys(SCRIPT_CODES).join(", ")} = ${Object.values(SCRIPT_CODES).join(", ")}\n`;

/** The text Redis runs for lua/<name>.lua: the file with the codes defined. */
export function scriptSource(name: ScriptName): string {
  const source = SOURCES[name];
  if (!source.startsWith("#!")) return CODES_PREAMBLE + source;
  const shebangEnd = source.indexOf("\n") + 1;
  return source.slice(0, shebangEnd) + CODES_PREAMBLE + source.slice(shebangEnd);
}

/** A Lua script bound to a Redis connection. */
export class LuaScript {
  readonly sha: string;
  private readonly source: string;

  constructor(readonly name: ScriptName, private readonly redis: RedisClient) {
    this.source = scriptSource(name);
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /** Runs the script with `keys` and `args`; a Redis restart that emptied the script cache is handled here. */
  async run(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // NOSCRIPT is the error code Redis starts its reply with (the protocol's, not a message to parse).
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // EVAL caches the script on the node that runs it: on a cluster, the node of the keys, which a
      // SCRIPT LOAD (sent to any node) would not reach.
      return await this.redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** Loads the script into Redis's script cache. */
  async load(): Promise<void> {
    await this.redis.script("LOAD", this.source);
  }
}

/** Every script, bound to one connection. */
export type Scripts = Readonly<Record<ScriptName, LuaScript>>;

const bound = new WeakMap<RedisClient, Scripts>();

/** The scripts bound to `redis`, made once per connection (each loads itself on first use if Redis lacks it). */
export function scriptsOf(redis: RedisClient): Scripts {
  let scripts = bound.get(redis);
  if (!scripts) {
    const names = Object.keys(SOURCES) as ScriptName[];
    scripts = Object.freeze(Object.fromEntries(names.map((name) => [name, new LuaScript(name, redis)])) as Scripts);
    bound.set(redis, scripts);
  }
  return scripts;
}

/** Loads `name` into Redis now (so a start-up fails early on a Redis that refuses scripts) and returns it. */
export async function loadScript(redis: RedisClient, name: ScriptName): Promise<LuaScript> {
  const script = scriptsOf(redis)[name];
  await script.load();
  return script;
}
