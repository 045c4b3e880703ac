#!lua flags=allow-cross-slot-keys
-- read_due_departures.lua: the scanner's read of next flights' departure times when it follows changes: reads
-- departure_time of each flight and, in the same call, records which due flights have a bag connecting to it,
-- so that a move of its departure from now on marks them (see upsert_flights.lua). Recording and reading in one
-- call leaves no moment in which a move is neither read nor marked.
--
-- KEYS         none: every key is an argument, so that on a Redis Cluster one call serves every slot of its node
--              (see read_hash_fields.lua)
-- ARGV[1]      when the hashes written expire, in Unix seconds: an hour after the grace period of their last flight
-- ARGV[2]      work:due_next:<hour>   the name of the hash: key of a flight -> the ids, comma-separated, of the due
--                                     flights arriving in that hour (arrival time / 3600, rounded down) with a bag
--                                     connecting to it; each flight goes to the hash of its scope, the name followed
--                                     by the scope
-- ARGV[3]      the flights' scopes, comma-separated, in their order (on a cluster ":{<tag>}" of each flight's slot);
--              "" on one node, where every scope is ""
-- ARGV[4]      n, the number of flights read
-- ARGV[5 .. 4+n]       flight:id:<id>   the next flights read
-- ARGV[5+n .. 4+2n]    for each of them: the ids, comma-separated, of the due flights of that hour connecting to it
--
-- Returns one departure_time per flight read, in argument order, nil when the flight or the field is missing.
-- A call that meets a key another node serves fails there; what it recorded before that is recorded again, the same,
-- when the caller sends the items to their nodes: recording is idempotent.
-- An id once recorded stays until the hash expires: a flight that no longer connects to a next flight only costs
-- an unchanged rescan.

local FIRST_FLIGHT = 5
local expiry, name = ARGV[1], ARGV[2]
local n = tonumber(ARGV[4])

local function record(index, key, ids)
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
local written = {}
local scope_of = string.gmatch(ARGV[3], '[^,]+')
for i = 1, n do
  local key = ARGV[FIRST_FLIGHT - 1 + i]
  local index = name .. (ARGV[3] == '' and '' or scope_of())
  record(index, key, ARGV[FIRST_FLIGHT - 1 + n + i])
  written[index] = true
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  departures[i] = redis.call('HGET', key, 'departure_time')
end
for index in pairs(written) do
  redis.call('EXPIREAT', index, expiry)
end
return departures
