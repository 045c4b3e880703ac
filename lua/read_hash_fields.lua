-- read_hash_fields.lua: reads one field of many hashes in one call (the scanner's reads of bag
-- itineraries and of next flights' departure times). Read-only.
--
-- KEYS[1..n]   the hashes (bag:id:<id> or flight:id:<id>)
-- ARGV[1]      the field to read (flights or departure_time)
--
-- Returns one value per key, in KEYS order: the field's value, or nil when the hash or the field is missing.

local field = ARGV[1]
local values = {}
for i, key in ipairs(KEYS) do
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  values[i] = redis.call('HGET', key, field)
end
return values
