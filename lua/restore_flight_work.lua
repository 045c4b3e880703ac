-- restore_flight_work.lua: records, for flights whose publication state Redis lost, the highest work
-- revision the work topic holds, so that the scanner's next revision comes after it.
--
-- KEYS[1]      flight:arrived     sorted set of flights whose work was published, scored by arrival time
-- KEYS[1 + i]  work:flight:<id>   the flight's publication state (see claim_flight_work.lua)
-- ARGV[1]      seconds to keep a restored state
-- ARGV[2 + 5(i-1)] .. ARGV[6 + 5(i-1)]   for KEYS[1 + i]: flight id, revision, digest of that revision's
--              work, arrival time in it, JSON list of its bag ids (`bags`, as confirm_flight_work.lua records it)
--
-- Returns the number of flights restored. A state at or above the given revision (confirmed or claimed)
-- is left alone, so running it twice, or beside a scan, never lowers a revision. A claim below it is
-- dropped: what it would publish is older than what the topic holds.

local retention = ARGV[1]
local restored = 0
for i = 2, #KEYS do
  local base = 2 + 5 * (i - 2)
  local id, revision, digest, arrival = ARGV[base], tonumber(ARGV[base + 1]), ARGV[base + 2], ARGV[base + 3]
  local key = KEYS[i]
  local state = redis.call('HMGET', key, 'revision', 'pending_revision')
  if tonumber(state[1] or '0') < revision and tonumber(state[2] or '0') < revision then
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until')
    redis.call('HSET', key, 'revision', revision, 'digest', digest, 'bags', ARGV[base + 4])
    redis.call('EXPIRE', key, retention)
    redis.call('ZADD', KEYS[1], arrival, id)
    restored = restored + 1
  end
end
return restored
