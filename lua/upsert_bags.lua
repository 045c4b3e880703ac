-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
--
-- KEYS[1]      bag:count              number of distinct bags stored
-- KEYS[2]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[3]      flight:arrival_times   sorted set, flight id scored by arrival time
-- KEYS[4]      work:marks             sorted set, due flights whose work may have changed (see upsert_flights.lua)
-- KEYS[5..]    bag:id:<id>            one per bag, in offset order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4]      the bags' offsets, comma-separated, in the order of KEYS[5..]
-- ARGV[5]      "" when every message had a key; else one order stamp per bag, comma-separated in the order of
--              KEYS[5..]: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36, so that a later stamp compares greater as a string (see lib/domain/order_stamp.ts)
-- ARGV[6], ARGV[7]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[8]      now in milliseconds, the score of a new mark
-- ARGV[9..]    each bag's flights (JSON array, "[]" when empty), in the order of KEYS[5..]
--
-- Returns {APPLIED, applied, inserted, marked}, or {BEHIND, recorded, 0, 0} when Redis is behind (nothing written;
-- replay the partition after `recorded`, -1 when no offset is recorded).
-- A bag whose itinerary changed marks (ZADD NX) the due flights of its old and its new itinerary: a flight's work
-- for the bag depends on nothing else of it, and a flight in neither itinerary keeps its code -10 for it.
-- The offsets come as one string rather than one argument per bag: Redis parses and Lua interns
-- every argument, about 0.3 µs a bag, while only a redelivery needs more than the first offset.
-- A message without a key may sit on any partition: it replaces the stored itinerary only when its stamp is not
-- older than the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[2], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0, 0}
end
local bags = #KEYS - 4

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

-- Ids are validated (letters, digits, '_', '-', '.'), so the quoted strings of the JSON are the ids.
local any_due = redis.call('ZCOUNT', KEYS[3], ARGV[6], ARGV[7]) > 0
local candidates, candidate_list = {}, {}
local function note_flights(itinerary)
  if any_due and itinerary then
    for id in string.gmatch(itinerary, '"([^"]+)"') do
      if not candidates[id] then
        candidates[id] = true
        candidate_list[#candidate_list + 1] = id
      end
    end
  end
end

local inserted = 0
for i = skipped + 1, bags do
  local key, stamp, flights = KEYS[i + 4], stamps and stamps[i], ARGV[i + 8]
  local stored = redis.call('HMGET', key, 'flights', 'stamp')
  if stamp == nil or stamp == '-' or not stored[2] or stamp >= stored[2] then
    if stamp == nil or stamp == '-' then
      redis.call('HSET', key, 'flights', flights)
    else
      redis.call('HSET', key, 'flights', flights, 'stamp', stamp)
    end
    if not stored[1] then
      inserted = inserted + 1
    end
    if stored[1] ~= flights then
      note_flights(stored[1])
      note_flights(flights)
    end
  end
end

local marked = 0
local due_from, due_until = tonumber(ARGV[6]), tonumber(ARGV[7])
-- ZMSCORE by a thousand: unpack() has a limit on how many values it returns.
for first = 1, #candidate_list, 1000 do
  local last = math.min(first + 999, #candidate_list)
  local arrivals = redis.call('ZMSCORE', KEYS[3], unpack(candidate_list, first, last))
  for j = first, last do
    local at = tonumber(arrivals[j - first + 1])
    if at and at >= due_from and at <= due_until then
      marked = marked + redis.call('ZADD', KEYS[4], 'NX', ARGV[8], candidate_list[j])
    end
  end
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[1], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[2], partition, ARGV[3])
end
return {APPLIED, bags - skipped, inserted, marked}
