-- upsert_flights.lua: stores a batch of flights from one partition of the flights topic, exactly once.
--
-- KEYS[1]      flight:arrival_times   sorted set, flight id scored by arrival time
-- KEYS[2]      flight:count           number of distinct flights stored
-- KEYS[3]      offsets:<topic>        hash, partition -> last offset applied
-- KEYS[4]      work:marks             sorted set, due flights whose work may have changed, scored by the time
--                                     (ms) of the first change since the scanner last took them
-- KEYS[5..4+d] work:due_next:<hour>   d hashes, one per hour of arrival the scan window covers: key of a flight ->
--                                     the due flights with a bag connecting to it (see read_due_departures.lua)
-- KEYS[5+d..]  flight:id:<id>         one per flight in ARGV, in order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none: what the
--              consumer (or its group, through Kafka's committed offset) knows was stored before. A record
--              below it means Redis lost its data or went back in time (snapshot restore, AOF fsync loss, failover)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4], ARGV[5]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[6]      now in milliseconds, the score of a new mark
-- ARGV[7]      d, the number of work:due_next:<hour> keys
-- ARGV[8..]    six values per flight: offset, id, departure_time, arrival_time, bags (JSON array, or "" for a
--              message without a manifest: the stored one, which baggage messages may have built, stays), and the
--              order stamp: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36 (see lib/domain/order_stamp.ts)
--
-- Returns {APPLIED, applied, inserted, marked}, or {BEHIND, recorded, 0, 0} when Redis is behind (nothing written;
-- replay the partition after `recorded`, -1 when no offset is recorded).
-- Marks (ZADD NX, so the first change's time stays): a due flight whose arrival or manifest changed (due before
-- or after), and when a flight's departure changed (or it is new), the due flights with a bag connecting to it.
-- Messages at or below the recorded offset were applied before (a redelivery) and are skipped. A message
-- without a key may sit on any partition: it replaces the stored flight only when its stamp is not older than
-- the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[3], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0, 0}
end
local due_from, due_until, now_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local due_keys = tonumber(ARGV[7])
local marked = 0
local function due(arrival)
  arrival = tonumber(arrival)
  return arrival ~= nil and arrival >= due_from and arrival <= due_until
end
local function mark(flight_id)
  marked = marked + redis.call('ZADD', KEYS[4], 'NX', now_ms, flight_id)
end
local function mark_connecting(key)
  for d = 5, 4 + due_keys do
    local connecting = redis.call('HGET', KEYS[d], key)
    if connecting then
      for flight_id in string.gmatch(connecting, '[^,]+') do
        if due(redis.call('ZSCORE', KEYS[1], flight_id)) then
          mark(flight_id)
        end
      end
    end
  end
end

local applied, inserted = 0, 0
local key_index = 5 + due_keys
for i = 8, #ARGV, 6 do
  local offset = tonumber(ARGV[i])
  local key = KEYS[key_index]
  key_index = key_index + 1
  local id, departure, arrival, bags, stamp = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  if offset > applied_up_to then
    local stored = redis.call('HMGET', key, 'departure_time', 'arrival_time', 'bags', 'stamp')
    if stamp == '-' or not stored[4] or stamp >= stored[4] then
      local fields = {'departure_time', departure, 'arrival_time', arrival}
      if bags ~= '' then
        fields[#fields + 1], fields[#fields + 2] = 'bags', bags
      else
        bags = stored[3]
      end
      if stamp ~= '-' then
        fields[#fields + 1], fields[#fields + 2] = 'stamp', stamp
      end
      redis.call('HSET', key, unpack(fields))
      if not stored[2] then
        inserted = inserted + 1
        -- A flight that baggage messages made before its schedule came expires by a TTL until now.
        redis.call('PERSIST', key)
      end
      redis.call('ZADD', KEYS[1], arrival, id)
      applied = applied + 1
      if (stored[2] ~= arrival or stored[3] ~= bags) and (due(arrival) or due(stored[2])) then
        mark(id)
      end
      if stored[1] ~= departure then
        mark_connecting(key)
      end
    end
  end
end

if inserted > 0 then
  redis.call('INCRBY', KEYS[2], inserted)
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[3], partition, ARGV[3])
end
return {APPLIED, applied, inserted, marked}
