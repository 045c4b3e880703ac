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
-- ARGV[4..]    six values per flight: offset, id, departure_time, arrival_time, bags (JSON array), and the
--              order stamp: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36 (see lib/domain/order_stamp.ts)
--
-- Returns {APPLIED, applied, inserted}, or {BEHIND, recorded, 0} when Redis is behind (nothing written; replay the
-- partition after `recorded`, -1 when no offset is recorded).
-- Messages at or below the recorded offset were applied before (a redelivery) and are skipped. A message
-- without a key may sit on any partition: it replaces the stored flight only when its stamp is not older than
-- the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[3], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0}
end

local applied, inserted = 0, 0
local key_index = 4
for i = 4, #ARGV, 6 do
  local offset = tonumber(ARGV[i])
  local key = KEYS[key_index]
  key_index = key_index + 1
  local stamp = ARGV[i + 5]
  local current = true
  if offset > applied_up_to and stamp ~= '-' then
    local stored = redis.call('HGET', key, 'stamp')
    current = not stored or stamp >= stored
  end
  if offset > applied_up_to and current then
    local fields = {'departure_time', ARGV[i + 2], 'arrival_time', ARGV[i + 3], 'bags', ARGV[i + 4]}
    if stamp ~= '-' then
      fields[7], fields[8] = 'stamp', stamp
    end
    -- HSET answers how many fields it created: 3 (or 4) for a new flight, 0 (or 1) for an update.
    if redis.call('HSET', key, unpack(fields)) >= 3 then
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
return {APPLIED, applied, inserted}
