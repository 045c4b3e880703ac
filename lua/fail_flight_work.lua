-- fail_flight_work.lua: records that claimed work revisions could not be published (too large for the
-- broker, unreadable stored data) and went to the dead-letter topic instead.
--
-- KEYS[i]      work:flight:<id>   the flight's publication state (see claim_flight_work.lua)
-- ARGV[1]      claim token used by claim_flight_work.lua
-- ARGV[1 + i]  for KEYS[i]: the revision dead-lettered
--
-- Returns the number of flights recorded. The claim is released and the digest kept as failed_digest, so
-- the flight is tried again only when its work changes; its revision number is never given to other content.

local token = ARGV[1]
local recorded = 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'pending_token', 'pending_revision', 'pending_digest')
  if state[1] == token and state[2] == ARGV[1 + i] then
    redis.call('HSET', key, 'failed_revision', state[2], 'failed_digest', state[3])
    redis.call('HDEL', key, 'pending_revision', 'pending_digest', 'pending_token', 'pending_until')
    recorded = recorded + 1
  end
end
return recorded
