#!lua flags=allow-cross-slot-keys
-- upsert_flights.lua: stores a batch of flights from one partition of the flights topic, exactly once.
-- On a Redis Cluster it runs once per master with the flights whose keys that master serves (see
-- lib/consume/node_store.ts and docs/design/redis-cluster.md).
--
-- KEYS[1]      offsets:<topic>        hash, partition -> last offset applied; on a cluster offsets:<topic>:{<tag>},
--                                     the record of the node the call runs on
-- KEYS[2]      work:marks             sorted set, the due flights whose work may have changed, scored by the time in ms
--                                     of the first change since the scanner last took them; on a cluster
--                                     work:marks:{<tag>}, the marks of the node the call runs on (the scanner pops them
--                                     with one blocking read per node, see lib/scan/mark_queues.ts)
-- Keys named by the arguments, each with its flight's scope ("" on one node, ":{<tag of its slot>}" on a cluster):
--              flight:id:<id>, flight:arrival_times<scope> (flight id scored by arrival time),
--              flight:count<scope> (distinct flights stored), and work:due_next:<hour><scope> for each hour of arrival the scan window covers (key of a flight -> the
--              due flights with a bag connecting to it, see read_due_departures.lua)
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none: what the
--              consumer (or its group, through Kafka's committed offset) knows was stored before. A record
--              below it means Redis lost its data or went back in time (snapshot restore, AOF fsync loss, failover)
-- ARGV[3]      last offset of the batch (invalid messages included), recorded as applied
-- ARGV[4], ARGV[5]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[6]      now in milliseconds, the score of a new mark
-- ARGV[7]      the hours of arrival the scan window covers, comma-separated
-- ARGV[8]      "" on one node; "cluster" on a Redis Cluster: every key is checked to be on this node before
--              anything is written, and the connecting flights to mark are returned, to be marked on their nodes
-- ARGV[9..]    eight values per flight: offset, key (flight:id:<id>), scope, id, departure_time, arrival_time,
--              bags (JSON array, or "" for a message without a manifest: the stored one, which baggage messages may
--              have built, stays), and the order stamp: "-" for a message with a key, else its timestamp,
--              partition and offset in fixed-width base 36 (see lib/domain/order_stamp.ts)
--
-- Returns {APPLIED, applied, inserted, marked, to_mark}, or {BEHIND, recorded, 0, 0, {}} when Redis is behind
-- (nothing written; replay the partition after `recorded`, -1 when no offset is recorded). `to_mark` is empty on one
-- node; on a cluster, the ids of the connecting flights whose marks belong to their own nodes (mark_due_flights.lua).
-- On a cluster a key this node does not serve (a slot that moved) ends the call with the error `NOTLOCAL <key>`
-- before anything is written.
-- Marks (ZADD NX, so the first change's time stays): a due flight whose arrival or manifest changed (due before
-- or after), and when a flight's departure changed (or it is new), the due flights with a bag connecting to it.
-- Messages at or below the recorded offset were applied before (a redelivery) and are skipped. A message
-- without a key may sit on any partition: it replaces the stored flight only when its stamp is not older than
-- the one stored with it (field `stamp`), so the newest wins whatever order partitions are applied in.
-- The status codes (APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE) are Lua locals that lib/infra/scripts.ts
-- defines before this text from SCRIPT_CODES, the one table of them.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[1], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0, 0, {}}
end
local due_from, due_until, now_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local hours = {}
for hour in string.gmatch(ARGV[7], '%d+') do
  hours[#hours + 1] = hour
end
local on_cluster = ARGV[8] == 'cluster'
local FIRST, STRIDE = 9, 8

if on_cluster then
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
  for i = FIRST, #ARGV, STRIDE do
    if tonumber(ARGV[i]) > applied_up_to then
      local scope = ARGV[i + 2]
      local failed = check(ARGV[i + 1]) or check('flight:arrival_times' .. scope) or check('flight:count' .. scope)
      for h = 1, #hours do
        failed = failed or check('work:due_next:' .. hours[h] .. scope)
      end
      if failed then
        return failed
      end
    end
  end
end

local marked = 0
local to_mark, to_mark_seen = {}, {}
local function due(arrival)
  arrival = tonumber(arrival)
  return arrival ~= nil and arrival >= due_from and arrival <= due_until
end
local function mark(flight_id)
  marked = marked + redis.call('ZADD', KEYS[2], 'NX', now_ms, flight_id)
end
local function mark_connecting(key, scope)
  for h = 1, #hours do
    local connecting = redis.call('HGET', 'work:due_next:' .. hours[h] .. scope, key)
    if connecting then
      for flight_id in string.gmatch(connecting, '[^,]+') do
        if on_cluster then
          -- The connecting flight's arrival and marks are on its own node.
          if not to_mark_seen[flight_id] then
            to_mark_seen[flight_id] = true
            to_mark[#to_mark + 1] = flight_id
          end
        elseif due(redis.call('ZSCORE', 'flight:arrival_times', flight_id)) then
          mark(flight_id)
        end
      end
    end
  end
end

local applied = 0
local inserted_by_scope = {}
for i = FIRST, #ARGV, STRIDE do
  local offset = tonumber(ARGV[i])
  local key, scope, id = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local departure, arrival, bags, stamp = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  if offset > applied_up_to then
    local stored = redis.call('HMGET', key, 'departure_time', 'arrival_time', 'bags', 'stamp')
    if stamp == '-' or not stored[4] or stamp >= stored[4] then
      local fields = {'departure_time', departure, 'arrival_time', arrival}
      if bags ~= '' then
        fields[#fields + 1], fields[#fields + 2] = 'bags', bags
      else
        bags = stored[3]
      end
      if stamp ~= '-' then
        fields[#fields + 1], fields[#fields + 2] = 'stamp', stamp
      end
      redis.call('HSET', key, unpack(fields))
      if not stored[2] then
        inserted_by_scope[scope] = (inserted_by_scope[scope] or 0) + 1
        -- A flight that baggage messages made before its schedule came expires by a TTL until now.
        redis.call('PERSIST', key)
      end
      redis.call('ZADD', 'flight:arrival_times' .. scope, arrival, id)
      applied = applied + 1
      if (stored[2] ~= arrival or stored[3] ~= bags) and (due(arrival) or due(stored[2])) then
        mark(id)
      end
      if stored[1] ~= departure then
        mark_connecting(key, scope)
      end
    end
  end
end

local inserted = 0
for scope, count in pairs(inserted_by_scope) do
  redis.call('INCRBY', 'flight:count' .. scope, count)
  inserted = inserted + count
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[1], partition, ARGV[3])
end
return {APPLIED, applied, inserted, marked, to_mark}
