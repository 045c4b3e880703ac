#!lua flags=allow-cross-slot-keys
-- restore_flight_work.lua: records, for flights whose publication state Redis lost, the highest work
-- revision the work topic holds, so that the scanner's next revision comes after it.
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node
-- ARGV[1]      seconds to keep a restored state
-- ARGV[2 + 7(i-1)] .. ARGV[8 + 7(i-1)]   for the i-th flight: its id; work:flight:<id><scope>, its publication
--              state (see claim_flight_work.lua); flight:arrived<scope>, the sorted set of flights whose work was
--              published, scored by arrival time (scope: "" on one node, ":{<tag of its slot>}" on a cluster); the
--              revision, the digest of that revision's work, the arrival time in it, and the JSON list of its bag
--              ids (`bags`, as confirm_flight_work.lua records it)
--
-- Returns the number of flights restored. A state at or above the given revision (confirmed or claimed)
-- is left alone, so running it twice, or beside a scan, never lowers a revision. A claim below it is
-- dropped: what it would publish is older than what the topic holds. A key of another node (a slot that moved) fails
-- the call with Redis' "non local key" error, the flights before it restored: the caller sends the flights again to
-- the right nodes, which the rule above makes harmless.

local retention = ARGV[1]
local restored = 0
for base = 2, #ARGV, 7 do
  local id, key, arrived = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local revision, digest, arrival = tonumber(ARGV[base + 3]), ARGV[base + 4], ARGV[base + 5]
  local state = redis.call('HMGET', key, 'revision', 'pending_revision')
  if tonumber(state[1] or '0') < revision and tonumber(state[2] or '0') < revision then
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until')
    redis.call('HSET', key, 'revision', revision, 'digest', digest, 'bags', ARGV[base + 6])
    redis.call('EXPIRE', key, retention)
    redis.call('ZADD', arrived, arrival, id)
    restored = restored + 1
  end
end
return restored
