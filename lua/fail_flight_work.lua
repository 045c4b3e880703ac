#!lua flags=allow-cross-slot-keys
-- fail_flight_work.lua: records that claimed work revisions could not be published (too large for the
-- broker, unreadable stored data) and went to the dead-letter topic instead.
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node
-- ARGV[1]      claim token used by claim_flight_work.lua
-- ARGV[2i], ARGV[2i + 1]   for the i-th flight: work:flight:<id> (its publication state, see claim_flight_work.lua)
--              and the revision dead-lettered
--
-- Returns the number of flights recorded. The claim is released and the digest kept as failed_digest, so
-- the flight is tried again only when its work changes; its revision number is never given to other content.
-- A record sent again (a call that failed part way on a cluster) records nothing more.

local token = ARGV[1]
local recorded = 0
for i = 2, #ARGV, 2 do
  local key, revision = ARGV[i], ARGV[i + 1]
  local state = redis.call('HMGET', key, 'pending_token', 'pending_revision', 'pending_digest')
  if state[1] == token and state[2] == revision then
    redis.call('HSET', key, 'failed_revision', state[2], 'failed_digest', state[3])
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until')
    recorded = recorded + 1
  end
end
return recorded
