-- read_due_itineraries.lua: the scanner's read of bag itineraries when it follows changes: reads the itinerary
-- of each bag and, in the same call, records the bag as one on the manifest of a due flight, so that a change of
-- it from now on marks the due flights of its itinerary (see upsert_bags.lua). Recording and reading in one call
-- leaves no moment in which a change is neither read nor marked.
--
-- KEYS[1]      work:due_bags:<hour>   set of the keys of the bags on the manifests of the due flights arriving in
--                                     that hour (arrival time / 3600, rounded down)
-- KEYS[2..]    bag:id:<id>            the bags read
-- ARGV[1]      when KEYS[1] expires, in Unix seconds: an hour after the grace period of its last flight
--
-- Returns one itinerary (field flights) per bag, in KEYS order, nil when the bag is missing.
-- A bag once recorded stays until the set expires: a bag taken off a manifest only costs an unchanged rescan.

local index = KEYS[1]
-- SADD by a thousand: unpack() has a limit on how many values it returns.
for first = 2, #KEYS, 1000 do
  redis.call('SADD', index, unpack(KEYS, first, math.min(first + 999, #KEYS)))
end
redis.call('EXPIREAT', index, ARGV[1])

local itineraries = {}
for i = 2, #KEYS do
  -- HGET answers false for a missing field; false keeps the array dense and reaches the client as nil.
  itineraries[i - 1] = redis.call('HGET', KEYS[i], 'flights')
end
return itineraries
