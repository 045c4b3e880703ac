/**
 * The Redis ACL of the workers: only the commands they send (directly or from their Lua scripts) and
 * only the documented key patterns (docs/contracts.md, "Redis keys"). The `default` user stays the administrator.
 */

/** Key patterns the workers may touch. */
export const WORKER_KEY_PATTERNS = ["flight:*", "bag:*", "offsets:*", "work:*", "bridge:*", "stream:*"];

/** Commands the workers may run; subcommands as `command|subcommand`. */
export const WORKER_COMMANDS = [
  // connection set-up by ioredis
  "ping",
  "hello",
  "auth",
  "select",
  "info",
  "quit",
  "client|setname",
  "client|getname",
  // a cluster client: the slot map, the ready check, and reads from replicas
  "cluster|slots",
  "cluster|info",
  "readonly",
  // scripts
  "evalsha",
  "eval",
  "script|load",
  "script|exists",
  // Redis's clock, read by claim_flight_work.lua for claim leases
  "time",
  // strings and keys
  "get",
  "mget",
  "exists",
  "incrby",
  "decrby",
  "del",
  "expire",
  "expireat",
  // upsert_flights.lua: a schedule makes a flight known only from baggage messages lose its TTL
  "persist",
  "set",
  // the bag sweep; on a cluster, a consumer's search for an exactly-once record a resharding moved
  "scan",
  // on a cluster, the scripts' check that every key is on the node (lib/infra/cluster_calls.ts)
  "type",
  // hashes
  "hget",
  "hmget",
  "hset",
  "hexists",
  "hvals",
  "hgetall",
  "hdel",
  // on a cluster, a master inheriting the exactly-once record a resharding moved (lib/consume/node_records.ts)
  "hsetnx",
  // apply_baggage_messages.lua: the refusals kept until dead-lettered
  "hkeys",
  // sorted sets
  "zadd",
  "zrem",
  "zrangebyscore",
  "zrange",
  "zscore",
  "zmscore",
  "zremrangebyscore",
  // the scanner's change follower: marks of changed flights, and the bags on due flights' manifests
  "bzpopmin",
  "zpopmin",
  "sadd",
  "smismember",
  // upsert_bags.lua on a cluster: a bag on a due manifest, each in its slot's record
  "sismember",
  // the work stream and its readers
  "xadd",
  "xtrim",
  "xlen",
  "xrange",
  "xrevrange",
  "xreadgroup",
  // the board's tail of the stream: a plain read, no consumer group
  "xread",
  "xack",
  "xautoclaim",
  "xgroup|create",
  "xpending",
  "xinfo|groups",
];

/** The redis-server `--user` rule of the worker user. */
export function workerAclRule(user: string, password: string): string[] {
  return [
    user,
    "on",
    `>${password}`,
    "resetkeys",
    ...WORKER_KEY_PATTERNS.map((pattern) => `~${pattern}`),
    "resetchannels",
    "-@all",
    ...WORKER_COMMANDS.map((command) => `+${command}`),
  ];
}
