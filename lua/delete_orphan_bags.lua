-- delete_orphan_bags.lua: deletes bags the sweep found orphaned, unless they changed since it read them.
--
-- KEYS[1]      bag:count
-- KEYS[1 + i]  bag:id:<id> of a bag found orphaned
-- ARGV[i]      the bag's `flights` as the sweep read it
--
-- Returns the number of bags deleted. A bag whose itinerary was stored again after the sweep read it
-- (a new message, a replay) is left alone, so the sweep never deletes fresh data; the counter stays exact.

local deleted = 0
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'flights') == ARGV[i - 1] then
    deleted = deleted + redis.call('DEL', KEYS[i])
  end
end
if deleted > 0 then redis.call('DECRBY', KEYS[1], deleted) end
return deleted
