#!lua flags=allow-cross-slot-keys
-- confirm_flight_work.lua: records that claimed work revisions were published to Kafka.
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node
-- ARGV[1]      claim token used by claim_flight_work.lua
-- ARGV[2 + 6(i-1)] .. ARGV[7 + 6(i-1)]   for the i-th flight:
--              work:flight:<id>   the flight's publication state (see claim_flight_work.lua)
--              flight:arrived     sorted set of flights whose work was published, scored by arrival time (on a
--                                 cluster, that of the flight's slot)
--              the flight id, the revision, the arrival time, and the JSON list of the bag ids published in that
--              revision (recorded as `bags`: the next revision's `removed_bags` are the ids of this list it no longer
--              has)
--
-- Returns the number of flights confirmed. A confirmation forgets an earlier dead-lettered revision (lower). A flight
-- whose claim was taken over by another scan (this one was presumed dead) is left to that scan. A confirmation sent
-- again (a call that failed part way on a cluster) confirms nothing more and changes nothing.

local token = ARGV[1]
local confirmed = 0
for base = 2, #ARGV, 6 do
  local key, arrived = ARGV[base], ARGV[base + 1]
  local id, revision, arrival, bags = ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
  local state = redis.call('HMGET', key, 'pending_token', 'pending_revision', 'pending_digest')
  if state[1] == token and state[2] == revision then
    redis.call('HSET', key, 'revision', state[2], 'digest', state[3], 'bags', bags)
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until', 'failed_revision',
      'failed_digest')
    redis.call('ZADD', arrived, arrival, id)
    confirmed = confirmed + 1
  end
end
return confirmed
