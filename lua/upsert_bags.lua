-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
--
-- KEYS[1]      bag:count              number of distinct bags stored
-- KEYS[2]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[3]      flight:arrival_times   sorted set, flight id scored by arrival time
-- KEYS[4]      work:marks             sorted set, due flights whose work may have changed (see upsert_flights.lua)
-- KEYS[5..4+d] work:due_bags:<hour>   d sets, one per hour of arrival the scan window covers: the keys of the
--                                     bags on the manifests of due flights (see read_due_itineraries.lua)
-- KEYS[5+d..]  bag:id:<id>            one per bag, in offset order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4]      the bags' offsets, comma-separated, in the order of the bag keys
-- ARGV[5]      "" when every message had a key; else one order stamp per bag, comma-separated in the order of
--              the bag keys: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36, so that a later stamp compares greater as a string (see lib/domain/order_stamp.ts)
-- ARGV[6], ARGV[7]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[8]      now in milliseconds, the score of a new mark
-- ARGV[9]      d, the number of work:due_bags:<hour> keys
-- ARGV[10..]   each bag's flights (JSON array, "[]" when empty), in the order of the bag keys
--
-- Returns {APPLIED, applied, inserted, marked}, or {BEHIND, recorded, 0, 0} when Redis is behind (nothing written;
-- replay the partition after `recorded`, -1 when no offset is recorded).
-- A bag on the manifest of a due flight whose itinerary changed marks (ZADD NX) the due flights of its old and its
-- new itinerary: a flight's work depends on the bags of its manifest only, and a flight in neither itinerary keeps
-- its code -10 for it. Only those bags, found with one SMISMEMBER a thousand bags, cost a read of the stored one.
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
local due_keys = tonumber(ARGV[9])
local first_bag = 5 + due_keys
local bags = #KEYS - first_bag + 1

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

-- The bags on a due flight's manifest, by their position among the bags.
local on_due_manifest = {}
if skipped < bags then
  for d = 5, 4 + due_keys do
    if redis.call('EXISTS', KEYS[d]) == 1 then
      -- SMISMEMBER by a thousand: unpack() has a limit on how many values it returns.
      for first = first_bag + skipped, #KEYS, 1000 do
        local members = redis.call('SMISMEMBER', KEYS[d], unpack(KEYS, first, math.min(first + 999, #KEYS)))
        for j = 1, #members do
          if members[j] == 1 then
            on_due_manifest[first - first_bag + j] = true
          end
        end
      end
    end
  end
end

-- Ids are validated (letters, digits, '_', '-', '.'), so the quoted strings of the JSON are the ids.
local candidates = {}
local function note_flights(itinerary)
  if itinerary then
    for id in string.gmatch(itinerary, '"([^"]+)"') do
      candidates[id] = true
    end
  end
end

local inserted = 0
for i = skipped + 1, bags do
  local key, stamp, flights = KEYS[first_bag + i - 1], stamps and stamps[i], ARGV[9 + i]
  local keyed = stamp == nil or stamp == '-'
  if keyed and not on_due_manifest[i] then
    -- HSET returns 1 when it created the field, so a new bag costs no extra EXISTS call.
    inserted = inserted + redis.call('HSET', key, 'flights', flights)
  else
    local stored = redis.call('HMGET', key, 'flights', 'stamp')
    if keyed or not stored[2] or stamp >= stored[2] then
      if keyed then
        redis.call('HSET', key, 'flights', flights)
      else
        redis.call('HSET', key, 'flights', flights, 'stamp', stamp)
      end
      if not stored[1] then
        inserted = inserted + 1
      end
      if on_due_manifest[i] and stored[1] ~= flights then
        note_flights(stored[1])
        note_flights(flights)
      end
    end
  end
end

local marked = 0
local due_from, due_until = tonumber(ARGV[6]), tonumber(ARGV[7])
for flight_id in pairs(candidates) do
  local arrival = tonumber(redis.call('ZSCORE', KEYS[3], flight_id))
  if arrival and arrival >= due_from and arrival <= due_until then
    marked = marked + redis.call('ZADD', KEYS[4], 'NX', ARGV[8], flight_id)
  end
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[1], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[2], partition, ARGV[3])
end
return {APPLIED, bags - skipped, inserted, marked}
