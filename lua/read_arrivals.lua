#!lua flags=allow-cross-slot-keys,no-writes
-- read_arrivals.lua: on a Redis Cluster, the scanner's read of the arrival index of every slot of one node: the
-- flights of each flight:arrival_times:{<tag>} arriving between two bounds. Read-only.
--
-- KEYS         none: the index keys are arguments (they span the node's slots; one of another node fails the call
--              with Redis' "non local key" error, and the caller sends it to the right node)
-- ARGV[1]      the lowest arrival, as ZRANGEBYSCORE takes it ("-inf", "(123" for exclusive)
-- ARGV[2]      the highest arrival, likewise
-- ARGV[3]      the most flights read of each slot, -1 for all (the first of each slot: merged, the first of all)
-- ARGV[4..]    flight:arrival_times:{<tag>} of each slot read
--
-- Returns {id, arrival, id, arrival, ...} of every slot read, each slot's in its order; the caller merges the nodes'
-- answers into one order (arrival, then id), the order one sorted set gives.

local found = {}
for i = 4, #ARGV do
  local entries = redis.call('ZRANGEBYSCORE', ARGV[i], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
  for j = 1, #entries do
    found[#found + 1] = entries[j]
  end
end
return found
