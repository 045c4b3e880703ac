-- delete_orphan_bags.lua: deletes bags the sweep found orphaned, unless they changed since it read them.
--
-- KEYS[1]      bag:count
-- KEYS[2]      bag:unresolved      sorted set: bags whose journey the sweep could not tell, by when it first saw them
-- KEYS[2 + i]  bag:id:<id> of a bag found orphaned
-- ARGV[i]      the bag's `flights` as the sweep read it
--
-- Returns the number of bags deleted. A bag whose itinerary was stored again after the sweep read it
-- (a new message, a replay) is left alone, so the sweep never deletes fresh data; the counter stays exact.

local deleted = 0
for i = 3, #KEYS do
  if redis.call('HGET', KEYS[i], 'flights') == ARGV[i - 2] then
    deleted = deleted + redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[2], KEYS[i])
  end
end
if deleted > 0 then redis.call('DECRBY', KEYS[1], deleted) end
return deleted
