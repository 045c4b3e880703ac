#!lua flags=allow-cross-slot-keys
-- claim_flight_work.lua: decides, for a batch of flights, which revision of their work to publish,
-- and claims it so that no other scanner replica publishes the same revision.
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node
-- ARGV[1]      claim token of this scan (unique per replica and scan)
-- ARGV[2]      claim duration in seconds (a claim older than this is presumed dead and taken over)
-- ARGV[3]      seconds to keep a flight's state after the claim
-- ARGV[2 + 2i], ARGV[3 + 2i]   for the i-th flight:
--              work:flight:<id>   hash: revision, digest (last published); failed_revision, failed_digest
--                                 (last dead-lettered, see fail_flight_work.lua); while a publication is in
--                                 flight pending_revision, pending_digest, pending_token, pending_until
--              the digest of the work just computed
--
-- Returns one integer per flight:
--   > 0  the revision to publish now (claimed; confirm it with confirm_flight_work.lua after the send,
--        or record it as dead-lettered with fail_flight_work.lua)
--   UNCHANGED (0)  unchanged since the last publication (or the last dead-lettering): nothing to publish
--   CLAIMED_ELSEWHERE (-1)  claimed by another live scan
-- A dead claim whose digest still matches is published again with the same revision (the crashed
-- scan may or may not have sent it; readers deduplicate by flight and revision).
-- A claim made again with the same token and digest answers the same revision: so a call that failed part way on a
-- cluster (a key of another node, Redis' "non local key" error) is simply sent again to the flights' nodes.
-- Claims expire by Redis's clock (TIME), never a scanner's: skewed scanner clocks cannot both hold one.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local now = tonumber(redis.call('TIME')[1])
local token = ARGV[1]
local claim_until = now + tonumber(ARGV[2])
local retention = tonumber(ARGV[3])
local results = {}

for i = 4, #ARGV, 2 do
  local key, digest = ARGV[i], ARGV[i + 1]
  local state = redis.call('HMGET', key, 'revision', 'digest', 'pending_revision', 'pending_digest', 'pending_token',
    'pending_until', 'failed_revision', 'failed_digest')
  local revision = tonumber(state[1] or '0')
  local pending_revision = tonumber(state[3] or '0')
  local failed_revision = tonumber(state[7] or '0')
  local result

  if pending_revision > 0 and state[5] ~= token and tonumber(state[6]) > now then
    result = CLAIMED_ELSEWHERE
  elseif pending_revision > 0 then
    if state[4] == digest then
      result = pending_revision
    else
      result = math.max(revision, pending_revision, failed_revision) + 1
    end
  elseif state[2] == digest or state[8] == digest then
    result = UNCHANGED
  else
    result = math.max(revision, failed_revision) + 1
  end

  if result > 0 then
    redis.call('HSET', key, 'pending_revision', result, 'pending_digest', digest,
      'pending_token', token, 'pending_until', claim_until)
    redis.call('EXPIRE', key, retention)
  end
  results[#results + 1] = result
end
return results
