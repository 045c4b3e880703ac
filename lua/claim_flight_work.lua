-- claim_flight_work.lua: decides, for a batch of flights, which revision of their work to publish,
-- and claims it so that no other scanner replica publishes the same revision.
--
-- KEYS[i]      work:flight:<id>   hash: revision, digest (last published), and while a publication is
--                                 in flight pending_revision, pending_digest, pending_token, pending_until
-- ARGV[1]      now (Unix seconds)
-- ARGV[2]      claim token of this scan (unique per replica and scan)
-- ARGV[3]      claim duration in seconds (a claim older than this is presumed dead and taken over)
-- ARGV[4]      seconds to keep a flight's state after the claim
-- ARGV[4 + 2i - 1], ARGV[4 + 2i]   for KEYS[i]: digest of the work just computed, landed ("1" or "0")
--
-- Returns one integer per flight:
--   > 0  the revision to publish now (claimed; confirm it with confirm_flight_work.lua after the send)
--     0  unchanged since the last publication: nothing to publish
--    -1  claimed by another live scan
--    -2  landed after its last publication: its work is final
-- A dead claim whose digest still matches is published again with the same revision (the crashed
-- scan may or may not have sent it; readers deduplicate by flight and revision).

local now = tonumber(ARGV[1])
local token = ARGV[2]
local claim_until = now + tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local results = {}

for i, key in ipairs(KEYS) do
  local digest = ARGV[4 + 2 * i - 1]
  local landed = ARGV[4 + 2 * i] == '1'
  local state = redis.call('HMGET', key, 'revision', 'digest', 'pending_revision', 'pending_digest', 'pending_token', 'pending_until')
  local revision = tonumber(state[1] or '0')
  local pending_revision = tonumber(state[3] or '0')
  local result

  if pending_revision > 0 and state[5] ~= token and tonumber(state[6]) > now then
    result = -1
  elseif pending_revision > 0 then
    if state[4] == digest then
      result = pending_revision
    else
      result = math.max(revision, pending_revision) + 1
    end
  elseif state[2] == digest then
    result = 0
  elseif landed and revision > 0 then
    result = -2
  else
    result = revision + 1
  end

  if result > 0 then
    redis.call('HSET', key, 'pending_revision', result, 'pending_digest', digest,
      'pending_token', token, 'pending_until', claim_until)
    redis.call('EXPIRE', key, retention)
  end
  results[i] = result
end
return results
