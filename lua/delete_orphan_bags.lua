#!lua flags=allow-cross-slot-keys
-- delete_orphan_bags.lua: deletes bags the sweep found orphaned, unless they changed since it read them.
--
-- KEYS         none: the keys are arguments, so that on a Redis Cluster one call serves every slot of its node
-- ARGV[3i - 2], ARGV[3i - 1], ARGV[3i]   for the i-th bag found orphaned: bag:id:<id>, its `flights` as the sweep
--              read it, and its scope, which ends the names of its aggregates ("" on one node, ":{<tag>}" of its slot
--              on a cluster): bag:count<scope>, and bag:unresolved<scope>, the sorted set of the bags whose journey the
--              sweep could not tell, by when it first saw them
--
-- Returns the number of bags deleted. A bag whose itinerary was stored again after the sweep read it
-- (a new message, a replay) is left alone, so the sweep never deletes fresh data; the counter stays exact. Sent again
-- after it failed part way (a key of another node), it deletes and counts only what is still there.

local deleted = 0
for i = 1, #ARGV, 3 do
  local key, scope = ARGV[i], ARGV[i + 2]
  if redis.call('HGET', key, 'flights') == ARGV[i + 1] then
    deleted = deleted + redis.call('DEL', key)
    redis.call('DECRBY', 'bag:count' .. scope, 1)
    redis.call('ZREM', 'bag:unresolved' .. scope, key)
  end
end
return deleted
