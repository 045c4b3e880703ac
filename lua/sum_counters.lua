#!lua flags=allow-cross-slot-keys,no-writes
-- sum_counters.lua: on a Redis Cluster, the sum of a counter kept per slot (flight:count:{<tag>}, bag:count:{<tag>})
-- over the slots of one node, for the stored-count gauges. Read-only.
--
-- KEYS         none: the counters are arguments (see read_arrivals.lua)
-- ARGV[1..]    the counters of the slots read
--
-- Returns the sum (a missing counter counts 0).

local sum = 0
for i = 1, #ARGV do
  sum = sum + tonumber(redis.call('GET', ARGV[i]) or '0')
end
return sum
