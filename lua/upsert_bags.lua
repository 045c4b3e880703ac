#!lua flags=allow-cross-slot-keys
-- upsert_bags.lua: stores a batch of bag itineraries from one partition of the bags topic, exactly once.
-- On a Redis Cluster it runs once per master with the bags whose keys that master serves (see
-- lib/consume/node_store.ts and docs/design/redis-cluster.md).
--
-- KEYS[1]      offsets:<topic>        hash, partition -> last offset applied; on a cluster offsets:<topic>:{<tag>},
--                                     the record of the node the call runs on
-- Keys named by the arguments, each with its bag's scope ("" on one node, ":{<tag of its slot>}" on a cluster):
--              bag:id:<id>, bag:count<scope> (distinct bags stored), work:due_bags:<hour><scope> for each hour of
--              arrival the scan window covers (the keys of the bags on the manifests of due flights, see
--              read_due_itineraries.lua); on one node also flight:arrival_times and work:marks (see
--              upsert_flights.lua)
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4]      the bags' offsets, comma-separated, in the order of the bag keys
-- ARGV[5]      "" when every message had a key; else one order stamp per bag, comma-separated in the order of
--              the bag keys: "-" for a message with a key, else its timestamp, partition and offset in fixed-width
--              base 36, so that a later stamp compares greater as a string (see lib/domain/order_stamp.ts)
-- ARGV[6], ARGV[7]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[8]      now in milliseconds, the score of a new mark
-- ARGV[9]      the hours of arrival the scan window covers, comma-separated
-- ARGV[10]     "" on one node; on a Redis Cluster the bags' scopes, comma-separated in the order of the bag keys:
--              every key is checked to be on this node before anything is written, and the flights to mark are
--              returned, to be marked on their nodes
-- ARGV[11..10+n]    the bag keys (bag:id:<id>), in offset order
-- ARGV[11+n..10+2n] each bag's flights (JSON array, "[]" when empty), in the order of the bag keys
--
-- Returns {APPLIED, applied, inserted, marked, to_mark}, or {BEHIND, recorded, 0, 0, {}} when Redis is behind
-- (nothing written; replay the partition after `recorded`, -1 when no offset is recorded). `to_mark` is empty on one
-- node; on a cluster, the ids of the flights that the marks below would consider, whose arrivals and marks are on
-- their own nodes (mark_due_flights.lua). On a cluster a key this node does not serve (a slot that moved) ends the
-- call with the error `NOTLOCAL <key>` before anything is written.
-- A bag on the manifest of a due flight whose itinerary changed marks (ZADD NX) the due flights of its old and its
-- new itinerary: a flight's work depends on the bags of its manifest only, and a flight in neither itinerary keeps
-- its code -10 for it. Only those bags, found with one SMISMEMBER a thousand bags, cost a read of the stored one.
-- The offsets come as one string rather than one argument per bag: Redis parses and Lua interns
-- every argument, about 0.3 µs a bag, while only a redelivery needs more than the first offset.
-- A message without a key may sit on any partition: it replaces the stored itinerary only when its stamp is not
-- older than the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[1], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0, 0, {}}
end
local hours = {}
for hour in string.gmatch(ARGV[9], '%d+') do
  hours[#hours + 1] = hour
end
local FIRST_KEY = 11
local bags = (#ARGV - FIRST_KEY + 1) / 2
local FIRST_ITINERARY = FIRST_KEY + bags

-- Offsets increase, so the bags a redelivery already applied are a prefix: count them.
local skipped = 0
if bags > 0 and tonumber(string.match(ARGV[4], '^%d+')) <= applied_up_to then
  for offset in string.gmatch(ARGV[4], '%d+') do
    if tonumber(offset) > applied_up_to then
      break
    end
    skipped = skipped + 1
  end
end

local stamps = nil
if ARGV[5] ~= '' then
  stamps = {}
  for stamp in string.gmatch(ARGV[5], '[^,]+') do
    stamps[#stamps + 1] = stamp
  end
end

-- Every bag's scope: one "" on one node.
local on_cluster = ARGV[10] ~= ''
local scopes = {}
if on_cluster then
  for scope in string.gmatch(ARGV[10], '[^,]+') do
    scopes[#scopes + 1] = scope
  end
  local checked = {}
  local function check(key)
    if not checked[key] then
      checked[key] = true
      local reply = redis.pcall('TYPE', key)
      if type(reply) == 'table' and reply.err then
        return redis.error_reply('NOTLOCAL ' .. key)
      end
    end
  end
  for i = skipped + 1, bags do
    local failed = check(ARGV[FIRST_KEY + i - 1]) or check('bag:count' .. scopes[i])
    for h = 1, #hours do
      failed = failed or check('work:due_bags:' .. hours[h] .. scopes[i])
    end
    if failed then
      return failed
    end
  end
end

-- The bags on a due flight's manifest, by their position among the bags.
local on_due_manifest = {}
if skipped < bags then
  for h = 1, #hours do
    if on_cluster then
      for i = skipped + 1, bags do
        if redis.call('SISMEMBER', 'work:due_bags:' .. hours[h] .. scopes[i], ARGV[FIRST_KEY + i - 1]) == 1 then
          on_due_manifest[i] = true
        end
      end
    else
      local due_bags = 'work:due_bags:' .. hours[h]
      if redis.call('EXISTS', due_bags) == 1 then
        -- SMISMEMBER by a thousand: unpack() has a limit on how many values it returns.
        for first = skipped + 1, bags, 1000 do
          local last = math.min(first + 999, bags)
          local members = redis.call('SMISMEMBER', due_bags, unpack(ARGV, FIRST_KEY + first - 1, FIRST_KEY + last - 1))
          for j = 1, #members do
            if members[j] == 1 then
              on_due_manifest[first + j - 1] = true
            end
          end
        end
      end
    end
  end
end

-- Ids are validated (letters, digits, '_', '-', '.'), so the quoted strings of the JSON are the ids.
local candidates = {}
local function note_flights(itinerary)
  if itinerary then
    for id in string.gmatch(itinerary, '"([^"]+)"') do
      candidates[id] = true
    end
  end
end

local inserted = 0
local inserted_by_scope = {}
for i = skipped + 1, bags do
  local key, stamp, flights = ARGV[FIRST_KEY + i - 1], stamps and stamps[i], ARGV[FIRST_ITINERARY + i - 1]
  local keyed = stamp == nil or stamp == '-'
  local new = 0
  if keyed and not on_due_manifest[i] then
    -- HSET returns 1 when it created the field, so a new bag costs no extra EXISTS call.
    new = redis.call('HSET', key, 'flights', flights)
  else
    local stored = redis.call('HMGET', key, 'flights', 'stamp')
    if keyed or not stored[2] or stamp >= stored[2] then
      if keyed then
        redis.call('HSET', key, 'flights', flights)
      else
        redis.call('HSET', key, 'flights', flights, 'stamp', stamp)
      end
      if not stored[1] then
        new = 1
      end
      if on_due_manifest[i] and stored[1] ~= flights then
        note_flights(stored[1])
        note_flights(flights)
      end
    end
  end
  if new > 0 then
    inserted = inserted + 1
    if on_cluster then
      inserted_by_scope[scopes[i]] = (inserted_by_scope[scopes[i]] or 0) + 1
    end
  end
end

local marked = 0
local to_mark = {}
if on_cluster then
  for flight_id in pairs(candidates) do
    to_mark[#to_mark + 1] = flight_id
  end
  for scope, count in pairs(inserted_by_scope) do
    redis.call('INCRBY', 'bag:count' .. scope, count)
  end
else
  local due_from, due_until = tonumber(ARGV[6]), tonumber(ARGV[7])
  for flight_id in pairs(candidates) do
    local arrival = tonumber(redis.call('ZSCORE', 'flight:arrival_times', flight_id))
    if arrival and arrival >= due_from and arrival <= due_until then
      marked = marked + redis.call('ZADD', 'work:marks', 'NX', ARGV[8], flight_id)
    end
  end
  if inserted > 0 then
    redis.call('INCRBY', 'bag:count', inserted)
  end
end

if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[1], partition, ARGV[3])
end
return {APPLIED, bags - skipped, inserted, marked, to_mark}
