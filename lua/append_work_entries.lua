-- append_work_entries.lua: mirrors work messages of one partition of arriving_flight_work into a
-- Redis Stream, one entry per bag and one per removed bag, exactly once.
--
-- KEYS[1]      the work stream (WORK_STREAM, default stream:arriving_flight_work)
-- KEYS[2]      bridge:offsets:<stream>     hash, "<topic>:<partition>" -> last offset mirrored
-- KEYS[3]      bridge:revisions:<stream>   hash, flight id -> highest revision mirrored
-- KEYS[4]      bridge:revision_arrivals:<stream>   sorted set, the flights of KEYS[3] scored by arrival time
-- ARGV[1]      "<topic>:<partition>"
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua)
-- ARGV[3]      last offset of the chunk (invalid messages included), recorded as mirrored
-- ARGV[4]      approximate maximum stream length, 0 for none
-- ARGV[5]      minimum entry id to keep ("<ms>-0", trimming by age), "0" for none
-- ARGV[6]      partition number written into each entry
-- ARGV[7]      arrival time (Unix seconds) before which flights' revisions are forgotten, "0" for never:
--              the scanner no longer publishes such flights, and the hash would otherwise grow forever
-- ARGV[8..]    per message: offset, flight id, revision, arrival_time, scanned_at, bag count n, removed
--              bag count m, exceptions count k, then n triples: bag id, departure_time (time or code), next flight
--              id ("" when none), then the m ids of the bags removed since the flight's previous revision, then k
--              pairs: a bag id and its exceptions ("RUSH,PRIO"; only bags that have some)
--
-- Each bag gets an entry with flight_id, bag_id, arrival_time, departure_time, next_flight_id, revision,
-- scanned_at, partition, offset, and exceptions when it has some; each removed bag one with flight_id, bag_id, arrival_time, removed = 1,
-- revision, scanned_at, partition, offset (no departure_time or next_flight_id: the bag has none here).
--
-- Returns {APPLIED, messages handled, entries appended, entries skipped as duplicates} (removals included), or
-- {BEHIND, recorded, 0, 0} when Redis is behind (nothing written; replay the partition after `recorded`, -1
-- when none is recorded). A message at or below the recorded offset is a redelivery; a revision at or
-- below the flight's highest mirrored revision is a duplicate publication (or stale): both are skipped whole.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local mirrored_up_to = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
if mirrored_up_to < tonumber(ARGV[2]) then
  return {BEHIND, mirrored_up_to, 0, 0}
end

local handled, appended, duplicates = 0, 0, 0
local i = 8
while i <= #ARGV do
  local offset, flight, revision = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local arrival, scanned_at, bag_count = ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])
  local removed_count, exception_count = tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])
  local first_bag = i + 8
  local first_removed = first_bag + 3 * bag_count
  local first_exception = first_removed + removed_count
  i = first_exception + 2 * exception_count
  if tonumber(offset) > mirrored_up_to then
    handled = handled + 1
    local highest = tonumber(redis.call('HGET', KEYS[3], flight) or '0')
    if revision <= highest then
      duplicates = duplicates + bag_count + removed_count
    else
      local exceptions = {}
      for e = first_exception, i - 1, 2 do
        exceptions[ARGV[e]] = ARGV[e + 1]
      end
      for b = first_bag, first_removed - 1, 3 do
        local bag_exceptions = exceptions[ARGV[b]]
        if bag_exceptions then
          redis.call('XADD', KEYS[1], '*',
            'flight_id', flight, 'bag_id', ARGV[b], 'arrival_time', arrival, 'departure_time', ARGV[b + 1],
            'next_flight_id', ARGV[b + 2], 'revision', revision, 'scanned_at', scanned_at,
            'partition', ARGV[6], 'offset', offset, 'exceptions', bag_exceptions)
        else
          redis.call('XADD', KEYS[1], '*',
            'flight_id', flight, 'bag_id', ARGV[b], 'arrival_time', arrival, 'departure_time', ARGV[b + 1],
            'next_flight_id', ARGV[b + 2], 'revision', revision, 'scanned_at', scanned_at,
            'partition', ARGV[6], 'offset', offset)
        end
      end
      for b = first_removed, first_exception - 1 do
        redis.call('XADD', KEYS[1], '*',
          'flight_id', flight, 'bag_id', ARGV[b], 'arrival_time', arrival, 'removed', '1',
          'revision', revision, 'scanned_at', scanned_at, 'partition', ARGV[6], 'offset', offset)
      end
      appended = appended + bag_count + removed_count
      redis.call('HSET', KEYS[3], flight, revision)
      redis.call('ZADD', KEYS[4], arrival, flight)
    end
  end
end

if tonumber(ARGV[3]) > mirrored_up_to then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
if ARGV[7] ~= '0' then
  -- A few hundred a call keeps the script short; every chunk forgets more until none is left.
  local forgotten = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[7], 'LIMIT', 0, 500)
  if #forgotten > 0 then
    redis.call('HDEL', KEYS[3], unpack(forgotten))
    redis.call('ZREM', KEYS[4], unpack(forgotten))
  end
end
if ARGV[4] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[4])
end
if ARGV[5] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[5])
end
return {APPLIED, handled, appended, duplicates}
