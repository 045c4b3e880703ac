#!lua flags=allow-cross-slot-keys
-- read_due_itineraries.lua: the scanner's read of bag itineraries when it follows changes: reads the itinerary
-- of each bag and, in the same call, records the bag as one on the manifest of a due flight, so that a change of
-- it from now on marks the due flights of its itinerary (see upsert_bags.lua). Recording and reading in one call
-- leaves no moment in which a change is neither read nor marked.
--
-- KEYS         none: every key is an argument, so that on a Redis Cluster one call serves every slot of its node
--              (see read_hash_fields.lua)
-- ARGV[1]      when the sets written expire, in Unix seconds: an hour after the grace period of their last flight
-- ARGV[2]      work:due_bags:<hour>   the name of the set of the keys of the bags on the manifests of the due flights
--                                     arriving in that hour (arrival time / 3600, rounded down); each bag goes to the
--                                     set of its scope, the name followed by the scope
-- ARGV[3]      the bags' scopes, comma-separated, in their order (on a cluster ":{<tag>}" of each bag's slot); "" on
--              one node, where every scope is ""
-- ARGV[4..]    bag:id:<id>            the bags read
--
-- Returns one itinerary (field flights) per bag, in argument order, nil when the bag is missing.
-- A call that meets a key another node serves fails there; what it recorded before that is recorded again, the same,
-- when the caller sends the items to their nodes: recording is idempotent.
-- A bag once recorded stays until the set expires: a bag taken off a manifest only costs an unchanged rescan.

local FIRST_BAG = 4
local expiry, index = ARGV[1], ARGV[2]
local by_set = {}
local scope_of = string.gmatch(ARGV[3], '[^,]+')
for i = FIRST_BAG, #ARGV do
  local set = index .. (ARGV[3] == '' and '' or scope_of())
  local members = by_set[set]
  if not members then
    members = {}
    by_set[set] = members
  end
  members[#members + 1] = ARGV[i]
end
for set, members in pairs(by_set) do
  -- SADD by a thousand: unpack() has a limit on how many values it returns.
  for first = 1, #members, 1000 do
    redis.call('SADD', set, unpack(members, first, math.min(first + 999, #members)))
  end
  redis.call('EXPIREAT', set, expiry)
end

local itineraries = {}
for i = FIRST_BAG, #ARGV do
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  itineraries[i - FIRST_BAG + 1] = redis.call('HGET', ARGV[i], 'flights')
end
return itineraries
