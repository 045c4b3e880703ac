-- read_due_departures.lua: the scanner's read of next flights' departure times when it follows changes: reads
-- departure_time of each flight and, in the same call, records which due flights have a bag connecting to it,
-- so that a move of its departure from now on marks them (see upsert_flights.lua). Recording and reading in one
-- call leaves no moment in which a move is neither read nor marked.
--
-- KEYS[1]      work:due_next:<hour>   hash: key of a flight -> the ids, comma-separated, of the due flights arriving
--                                     in that hour (arrival time / 3600, rounded down) with a bag connecting to it
-- KEYS[2..]    flight:id:<id>         the next flights read
-- ARGV[1]      when KEYS[1] expires, in Unix seconds: an hour after the grace period of its last flight
-- ARGV[1 + i]  for KEYS[1 + i]: the ids, comma-separated, of the due flights of that hour connecting to it
--
-- Returns one departure_time per flight read, in KEYS order, nil when the flight or the field is missing.
-- An id once recorded stays until the hash expires: a flight that no longer connects to a next flight only costs
-- an unchanged rescan.

local index = KEYS[1]

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

local departures = {}
for i = 2, #KEYS do
  record(KEYS[i], ARGV[i])
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  departures[i - 1] = redis.call('HGET', KEYS[i], 'departure_time')
end
redis.call('EXPIREAT', index, ARGV[1])
return departures
