-- index_next_flights.lua: records, for each next flight of the work about to be published, which due flights
-- have a bag connecting to it, so that a change of its departure marks them (see upsert_flights.lua).
--
-- KEYS[i]      work:next:<next flight id>   set of the due flights whose work names it as a bag's next flight
-- ARGV[1]      seconds to keep each set after its last addition (SCAN_STATE_RETENTION_SECONDS)
-- ARGV[1 + i]  for KEYS[i]: the ids of those flights, comma-separated
--
-- Returns the number of flights added to a set they were not in. An entry is never removed before the set
-- expires: a flight whose later revision no longer connects to it only costs an unchanged rescan.

local retention = ARGV[1]
local added = 0
for i, key in ipairs(KEYS) do
  for flight_id in string.gmatch(ARGV[1 + i], '[^,]+') do
    added = added + redis.call('SADD', key, flight_id)
  end
  redis.call('EXPIRE', key, retention)
end
return added
