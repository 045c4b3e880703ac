-- read_and_record_dependents.lua: the scanner's reads of bag itineraries and of next flights' departure times
-- when it follows changes: reads one field of many hashes and, in the same call, records which flights' work
-- depends on each hash, so that an upsert changing it from now on marks them (see upsert_bags.lua and
-- upsert_flights.lua). Recording and reading in one call leaves no gap in which a change is neither read nor
-- marked.
--
-- KEYS[1]      work:deps:<hour>   hash: key of a bag or flight -> the ids, comma-separated, of the flights arriving
--                                 in that hour (arrival time / 3600, rounded down) whose work depends on it
-- KEYS[2..]    the hashes read (bag:id:<id> or flight:id:<id>)
-- ARGV[1]      the field to read (flights or departure_time)
-- ARGV[2]      when KEYS[1] expires, in Unix seconds: the end of its hour, the grace period and a margin
-- ARGV[2 + i]  for KEYS[1 + i]: the ids, comma-separated, of the flights of that hour whose work depends on it
--
-- Returns one value per hash read, in KEYS order: the field's value, or nil when the hash or the field is missing.
-- An id once recorded stays until the hash expires: a flight that no longer depends on a key (a bag taken off its
-- manifest) only costs an unchanged rescan.

local index, field = KEYS[1], ARGV[1]

local function record(key, ids)
  local stored = redis.call('HGET', index, key)
  if not stored then
    redis.call('HSET', index, key, ids)
  elseif stored ~= ids then
    local merged, listed = stored, ',' .. stored .. ','
    for id in string.gmatch(ids, '[^,]+') do
      if not string.find(listed, ',' .. id .. ',', 1, true) then
        merged, listed = merged .. ',' .. id, listed .. id .. ','
      end
    end
    if merged ~= stored then
      redis.call('HSET', index, key, merged)
    end
  end
end

local values = {}
for i = 2, #KEYS do
  record(KEYS[i], ARGV[1 + i])
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  values[i - 1] = redis.call('HGET', KEYS[i], field)
end
redis.call('EXPIREAT', index, ARGV[2])
return values
