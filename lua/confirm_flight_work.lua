-- confirm_flight_work.lua: records that claimed work revisions were published to Kafka.
--
-- KEYS[1]      flight:arrived     sorted set of flights whose work was published, scored by arrival time
-- KEYS[1 + i]  work:flight:<id>   the flight's publication state (see claim_flight_work.lua)
-- ARGV[1]      claim token used by claim_flight_work.lua
-- ARGV[2 + 4(i-1)] .. ARGV[5 + 4(i-1)]   for KEYS[1 + i]: flight id, revision, arrival time, and the JSON list of
--              the bag ids published in that revision (recorded as `bags`: the next revision's `removed_bags` are
--              the ids of this list it no longer has)
--
-- Returns the number of flights confirmed. A confirmation forgets an earlier dead-lettered revision (lower). A flight whose claim was taken over by another scan
-- (this one was presumed dead) is left to that scan.

local token = ARGV[1]
local confirmed = 0
for i = 2, #KEYS do
  local base = 2 + 4 * (i - 2)
  local key = KEYS[i]
  local state = redis.call('HMGET', key, 'pending_token', 'pending_revision', 'pending_digest')
  if state[1] == token and state[2] == ARGV[base + 1] then
    redis.call('HSET', key, 'revision', state[2], 'digest', state[3], 'bags', ARGV[base + 3])
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until', 'failed_revision',
      'failed_digest')
    redis.call('ZADD', KEYS[1], ARGV[base + 2], ARGV[base])
    confirmed = confirmed + 1
  end
end
return confirmed
