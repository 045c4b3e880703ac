#!lua flags=allow-cross-slot-keys
-- expire_flights.lua: deletes flights past the retention and the bags whose journeys ended with them,
-- keeping the counters exact (Redis holds recent data only; see DATA_RETENTION_SECONDS).
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node (the
--              flights and the bags of one node; a flight's bags are usually on other nodes, each deleted by its own)
-- ARGV[1]      arrival time before which flight:expired forgets flights
-- ARGV[2]      n, the number of flights
-- ARGV[3 + 3(i-1)] .. ARGV[5 + 3(i-1)]   for the i-th flight: its id, flight:id:<id>, and its scope
-- ARGV[3 + 3n ..]      for each bag to delete, bag:id:<id> and its scope
-- A scope ends the names of the aggregates of the key: "" on one node, ":{<tag>}" of its slot on a cluster:
--   flight:arrival_times<scope>, flight:arrived<scope>, flight:count<scope>, bag:count<scope>, and
--   flight:expired<scope>, the sorted set of the flights expired, scored by arrival time, and bag:unresolved<scope>,
--   the bags the sweep could not tell, whose notes go with them (see bag_sweep.ts).
--
-- Returns {flights deleted, bags deleted}. Safe to run twice or from two replicas, and to send again after it failed
-- part way (a key of another node: Redis' "non local key" error): only what still exists is deleted and counted.

local forget_before = '(' .. ARGV[1]
local flight_count = tonumber(ARGV[2])
local flights, bags = 0, 0
local expired_sets = {}
for i = 1, flight_count do
  local base = 3 + 3 * (i - 1)
  local id, key, scope = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local arrivals = 'flight:arrival_times' .. scope
  local arrival = redis.call('ZSCORE', arrivals, id)
  if arrival then
    redis.call('ZREM', arrivals, id)
    redis.call('ZREM', 'flight:arrived' .. scope, id)
    redis.call('ZADD', 'flight:expired' .. scope, arrival, id)
    redis.call('DEL', key)
    redis.call('DECRBY', 'flight:count' .. scope, 1)
    flights = flights + 1
  end
  expired_sets['flight:expired' .. scope] = true
end
for k = 3 + 3 * flight_count, #ARGV, 2 do
  if redis.call('DEL', ARGV[k]) == 1 then
    redis.call('DECRBY', 'bag:count' .. ARGV[k + 1], 1)
    redis.call('ZREM', 'bag:unresolved' .. ARGV[k + 1], ARGV[k])
    bags = bags + 1
  end
end
for expired in pairs(expired_sets) do
  redis.call('ZREMRANGEBYSCORE', expired, '-inf', forget_before)
end
return {flights, bags}
