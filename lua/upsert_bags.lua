-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
--
-- KEYS[1]      bag:count              number of distinct bags stored
-- KEYS[2]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[3..]    bag:id:<id>            one per bag, in offset order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4]      the bags' offsets, comma-separated, in the order of KEYS[3..]
-- ARGV[5]      "" when every message had a key; else one order stamp per bag, comma-separated in the order of
--              KEYS[3..]: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36, so that a later stamp compares greater as a string (see lib/domain/order_stamp.ts)
-- ARGV[6..]    each bag's flights (JSON array, "[]" when empty), in the order of KEYS[3..]
--
-- Returns {APPLIED, applied, inserted}, or {BEHIND, recorded, 0} when Redis is behind (nothing written; replay the
-- partition after `recorded`, -1 when no offset is recorded).
-- The offsets come as one string rather than one argument per bag: Redis parses and Lua interns
-- every argument, about 0.3 µs a bag, while only a redelivery needs more than the first offset.
-- A message without a key may sit on any partition: it replaces the stored itinerary only when its stamp is not
-- older than the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[2], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0}
end
local bags = #KEYS - 2

-- Offsets increase, so the bags a redelivery already applied are a prefix: count them.
local skipped = 0
if bags > 0 and tonumber(string.match(ARGV[4], '^%d+')) <= applied_up_to then
  for offset in string.gmatch(ARGV[4], '%d+') do
    if tonumber(offset) > applied_up_to then
      break
    end
    skipped = skipped + 1
  end
end

local stamps = nil
if ARGV[5] ~= '' then
  stamps = {}
  for stamp in string.gmatch(ARGV[5], '[^,]+') do
    stamps[#stamps + 1] = stamp
  end
end

local inserted = 0
for i = skipped + 1, bags do
  local key, stamp = KEYS[i + 2], stamps and stamps[i]
  if stamp == nil or stamp == '-' then
    -- HSET returns 1 when it created the field, so a new bag costs no extra EXISTS call.
    inserted = inserted + redis.call('HSET', key, 'flights', ARGV[i + 5])
  else
    local stored = redis.call('HMGET', key, 'flights', 'stamp')
    if not stored[2] or stamp >= stored[2] then
      redis.call('HSET', key, 'flights', ARGV[i + 5], 'stamp', stamp)
      if not stored[1] then
        inserted = inserted + 1
      end
    end
  end
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[1], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[2], partition, ARGV[3])
end
return {APPLIED, bags - skipped, inserted}
