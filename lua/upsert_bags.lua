-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
--
-- KEYS[1]      bag:count              number of distinct bags stored
-- KEYS[2]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[3]      flight:arrival_times   sorted set, flight id scored by arrival time
-- KEYS[4]      work:marks             sorted set, due flights whose work may have changed (see upsert_flights.lua)
-- KEYS[5..4+d] work:deps:<hour>       d hashes, one per hour of arrival the scan window covers: key of a bag or
--                                     flight -> the due flights whose work depends on it (see
--                                     read_and_record_dependents.lua)
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
-- ARGV[9]      d, the number of work:deps:<hour> keys
-- ARGV[10..]   each bag's flights (JSON array, "[]" when empty), in the order of the bag keys
--
-- Returns {APPLIED, applied, inserted, marked}, or {BEHIND, recorded, 0, 0} when Redis is behind (nothing written;
-- replay the partition after `recorded`, -1 when no offset is recorded).
-- A stored bag marks (ZADD NX) the due flights whose last read work depends on it: a flight's work depends on the
-- bags of its manifest only. The itinerary stored before is not compared, which would cost a read a bag: a
-- message that repeats it costs an unchanged rescan.
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
local deps_count = tonumber(ARGV[9])
local first_bag = 5 + deps_count
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

local inserted = 0
local stored_keys = {}
for i = skipped + 1, bags do
  local key, stamp, flights = KEYS[first_bag + i - 1], stamps and stamps[i], ARGV[9 + i]
  if stamp == nil or stamp == '-' then
    -- HSET returns 1 when it created the field, so a new bag costs no extra EXISTS call.
    inserted = inserted + redis.call('HSET', key, 'flights', flights)
    stored_keys[#stored_keys + 1] = key
  else
    local stored = redis.call('HMGET', key, 'flights', 'stamp')
    if not stored[2] or stamp >= stored[2] then
      redis.call('HSET', key, 'flights', flights, 'stamp', stamp)
      stored_keys[#stored_keys + 1] = key
      if not stored[1] then
        inserted = inserted + 1
      end
    end
  end
end

local marked = 0
local due_from, due_until, checked = tonumber(ARGV[6]), tonumber(ARGV[7]), {}
for d = 5, 4 + deps_count do
  if #stored_keys > 0 and redis.call('EXISTS', KEYS[d]) == 1 then
    -- HMGET by a thousand: unpack() has a limit on how many values it returns.
    for first = 1, #stored_keys, 1000 do
      local dependents = redis.call('HMGET', KEYS[d], unpack(stored_keys, first, math.min(first + 999, #stored_keys)))
      for j = 1, #dependents do
        if dependents[j] then
          for flight_id in string.gmatch(dependents[j], '[^,]+') do
            if not checked[flight_id] then
              checked[flight_id] = true
              local arrival = tonumber(redis.call('ZSCORE', KEYS[3], flight_id))
              if arrival and arrival >= due_from and arrival <= due_until then
                marked = marked + redis.call('ZADD', KEYS[4], 'NX', ARGV[8], flight_id)
              end
            end
          end
        end
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
return {APPLIED, bags - skipped, inserted, marked}
