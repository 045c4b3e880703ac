-- expire_flights.lua: deletes flights past the retention and the bags whose journeys ended with them,
-- keeping the counters exact (Redis holds recent data only; see DATA_RETENTION_SECONDS).
--
-- KEYS[1]      flight:arrival_times
-- KEYS[2]      flight:arrived
-- KEYS[3]      flight:count
-- KEYS[4]      bag:count
-- KEYS[5]      flight:expired       sorted set of the flights expired, scored by arrival time (see bag_sweep.ts)
-- KEYS[6 .. 5+n]       flight:id:<id> of the n flights to expire
-- KEYS[6+n ..]         bag:id:<id> of the bags to delete
-- ARGV[1]      n, the number of flights
-- ARGV[2]      arrival time before which flight:expired forgets flights
-- ARGV[3 .. 2+n]       the flight ids, in the order of their KEYS
--
-- Returns {flights deleted, bags deleted}. Safe to run twice or from two replicas: only what still
-- exists is deleted and counted.

local flight_count = tonumber(ARGV[1])
local flights, bags = 0, 0
for i = 1, flight_count do
  local id = ARGV[2 + i]
  local arrival = redis.call('ZSCORE', KEYS[1], id)
  if arrival then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZADD', KEYS[5], arrival, id)
    redis.call('DEL', KEYS[5 + i])
    flights = flights + 1
  end
end
for k = 6 + flight_count, #KEYS do
  bags = bags + redis.call('DEL', KEYS[k])
end
if flights > 0 then redis.call('DECRBY', KEYS[3], flights) end
if bags > 0 then redis.call('DECRBY', KEYS[4], bags) end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[2])
return {flights, bags}
