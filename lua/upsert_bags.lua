-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
--
-- KEYS[1]      bag:count              number of distinct bags stored
-- KEYS[2]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[3..]    bag:id:<id>            one per bag in ARGV, in the same order
-- ARGV[1]      partition
-- ARGV[2]      "1" when this partition's offset must already be recorded (see upsert_flights.lua)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4..]    two values per bag: offset, flights (JSON array, "[]" when empty)
--
-- Returns {1, applied, inserted}, or {-20, 0, 0} (state lost: nothing written, replay the partition).

local partition = ARGV[1]
local recorded = redis.call('HGET', KEYS[2], partition)
if not recorded and ARGV[2] == '1' then
  return {-20, 0, 0}
end
local applied_up_to = tonumber(recorded or '-1')

local applied, inserted = 0, 0
local key_index = 3
for i = 4, #ARGV, 2 do
  if tonumber(ARGV[i]) > applied_up_to then
    local key = KEYS[key_index]
    -- HSET returns 1 when it created the field, so a new bag costs no extra EXISTS call.
    inserted = inserted + redis.call('HSET', key, 'flights', ARGV[i + 1])
    applied = applied + 1
  end
  key_index = key_index + 1
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[1], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[2], partition, ARGV[3])
end
return {1, applied, inserted}
