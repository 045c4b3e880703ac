#!lua flags=allow-cross-slot-keys
-- mark_due_flights.lua: on a Redis Cluster, marks the due flights among those an upsert named (the connecting
-- flights of a moved departure, the flights of a changed itinerary) on the master that serves their keys: their
-- arrivals and marks are there, not on the upsert's node (see upsert_flights.lua, upsert_bags.lua).
--
-- KEYS[1]      work:marks:{<tag>}     the marks of the node (tag: its lowest slot's), which the scanner pops with one
--                                     blocking read per node (lib/scan/mark_queues.ts)
-- Keys named by the arguments, each with its flight's scope (":{<tag of the slot of flight:id:<id>>}"):
--              flight:arrival_times<scope> (read)
-- ARGV[1], ARGV[2]   the scan window: a flight arriving between them is due
-- ARGV[3]      now in milliseconds, the score of a new mark
-- ARGV[4..]    two values per flight: id, scope
--
-- Returns how many marks were added (ZADD NX: a flight already marked keeps the time of its first change). A key this
-- node does not serve (a slot that moved) ends the call with the error `NOTLOCAL <key>` before anything is written.
-- A mark is a hint for the scanner's change follower: an upsert whose second call is lost (a crash between the two)
-- leaves the correction to the scanner's next sweep of the window (SCAN_SCHEDULE).

for i = 4, #ARGV, 2 do
  local key = 'flight:arrival_times' .. ARGV[i + 1]
  local reply = redis.pcall('TYPE', key)
  if type(reply) == 'table' and reply.err then
    return redis.error_reply('NOTLOCAL ' .. key)
  end
end

local due_from, due_until = tonumber(ARGV[1]), tonumber(ARGV[2])
local marked = 0
for i = 4, #ARGV, 2 do
  local arrival = tonumber(redis.call('ZSCORE', 'flight:arrival_times' .. ARGV[i + 1], ARGV[i]))
  if arrival and arrival >= due_from and arrival <= due_until then
    marked = marked + redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[i])
  end
end
return marked
