-- upsert_flights.lua: stores a batch of flights from one partition of the flights topic, exactly once.
--
-- KEYS[1]      flight:arrival_times   sorted set, flight id scored by arrival time
-- KEYS[2]      flight:count           number of distinct flights stored
-- KEYS[3]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[4..]    flight:id:<id>         one per flight in ARGV, in the same order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none: what the
--              consumer (or its group, through Kafka's committed offset) knows was stored before. A record
--              below it means Redis lost its data or went back in time (snapshot restore, AOF fsync loss, failover)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4..]    five values per flight: offset, id, departure_time, arrival_time, bags (JSON array)
--
-- Returns {1, applied, inserted}, or {-20, recorded, 0} when Redis is behind (nothing written; replay the
-- partition after `recorded`, -1 when no offset is recorded).
-- Messages at or below the recorded offset were applied before (a redelivery) and are skipped.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[3], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {-20, applied_up_to, 0}
end

local applied, inserted = 0, 0
local key_index = 4
for i = 4, #ARGV, 5 do
  local offset = tonumber(ARGV[i])
  local key = KEYS[key_index]
  key_index = key_index + 1
  if offset > applied_up_to then
    -- HSET answers how many fields it created: 3 for a new flight, 0 for an update.
    if redis.call('HSET', key, 'departure_time', ARGV[i + 2], 'arrival_time', ARGV[i + 3], 'bags', ARGV[i + 4]) > 0 then
      inserted = inserted + 1
    end
    redis.call('ZADD', KEYS[1], ARGV[i + 3], ARGV[i + 1])
    applied = applied + 1
  end
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[2], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[3], partition, ARGV[3])
end
return {1, applied, inserted}
