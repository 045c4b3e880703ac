#!lua flags=allow-cross-slot-keys,no-writes
-- read_hash_fields.lua: reads one field of many hashes in one call (the scanner's reads of bag
-- itineraries and of next flights' departure times). Read-only.
--
-- KEYS         none: the hashes are arguments, so that on a Redis Cluster one call reads hashes of every slot of the
--              node it is sent to (a hash of another node fails the call with Redis' "non local key" error, and the
--              caller sends it to the right node)
-- ARGV[1]      the field to read (flights or departure_time)
-- ARGV[2..]    the hashes (bag:id:<id> or flight:id:<id>)
--
-- Returns one value per hash, in ARGV order: the field's value, or nil when the hash or the field is missing.

local field = ARGV[1]
local values = {}
for i = 2, #ARGV do
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  values[i - 1] = redis.call('HGET', ARGV[i], field)
end
return values
