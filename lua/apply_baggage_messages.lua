-- apply_baggage_messages.lua: applies the bag operations of a chunk of one partition of the baggage-messages
-- topic (BSM and BTM, one operation per tag), exactly once: each bag's itinerary and its presence on the manifest
-- of each flight of it, in offset order.
--
-- KEYS[1]      bag:count                          number of distinct bags stored
-- KEYS[2]      offsets:<topic>                    hash, partition -> last offset applied
-- KEYS[3]      flight:arrival_times               sorted set, flight id scored by arrival time
-- KEYS[4]      work:marks                         sorted set, due flights whose work may have changed
-- KEYS[5]      offsets:<topic>:refused:<p>        hash, offset -> why a CHG or DEL of it was refused (unknown tag),
--                                                 kept until the consumer is known to have dead-lettered it
-- KEYS[6..5+b]     bag:id:<tag>                   the b bags of the chunk
-- KEYS[6+b..5+b+f]   flight:id:<id>               the f flights of their stored and new itineraries
-- KEYS[6+b+f..]      flight:bag_exceptions:<id>   hash, bag -> its exceptions, of the same f flights in the same order
-- ARGV[1]      partition
-- ARGV[2]      the lowest offset Redis must already record for this partition, -1 for none (see upsert_flights.lua);
--              the refusals at or below it were dead-lettered and are forgotten
-- ARGV[3]      last offset of the chunk (invalid messages included), recorded as applied
-- ARGV[4], ARGV[5]   the scan window as the consumer's clock has it: a flight arriving between them is due
-- ARGV[6]      now in milliseconds, the score of a new mark
-- ARGV[7]      b, ARGV[8] f
-- ARGV[9..]    per bag: the `flights` field the consumer read ("" when none) and the positions of those flights
--              among the flight keys, comma-separated: the script refuses to run (STALE) when a bag changed since
-- then         per flight: its id and when a flight known only from baggage messages expires (Unix seconds)
-- then         per operation, in offset order, six values: offset, action (A add, C change, D delete, E a message
--              of bag events, which changes nothing here and is only counted), the bag's position among the bag
--              keys, the positions of its new itinerary's flights, that itinerary as a JSON array, and its
--              exceptions ("RUSH,PRIO", "" for none)
--
-- Returns {APPLIED, messages applied, bags inserted, marked, offset, reason, offset, reason, …} with the refusals of the chunk
-- (a CHG or DEL of an unknown tag), those of a redelivery included; {BEHIND, recorded, 0, 0} when Redis is behind;
-- {STALE, 0, 0, 0} when a bag's itinerary is not the one read (nothing written: read again and retry).
-- A bag's exceptions (`.E`) are kept on its hash (field `exceptions`) and on each flight of its itinerary, where
-- the scanner reads them with the manifest; they expire with the flight.
-- An add of a stored bag replaces it. A manifest is rewritten once per chunk, however many of its bags change. Every
-- due flight of a changed bag's old or new itinerary is marked: its work for the bag may change. A flight no
-- schedule has come for yet (no arrival_time) expires at the time given, and is deleted when its manifest empties.
-- The status codes are Lua locals that lib/infra/scripts.ts defines before this text from SCRIPT_CODES.

local partition = ARGV[1]
local applied_up_to = tonumber(redis.call('HGET', KEYS[2], partition) or '-1')
if applied_up_to < tonumber(ARGV[2]) then
  return {BEHIND, applied_up_to, 0, 0}
end
local bag_count, flight_count = tonumber(ARGV[7]), tonumber(ARGV[8])
local first_bag, first_flight = 6, 6 + bag_count
local first_exceptions = first_flight + flight_count

local function positions(list)
  local found = {}
  for position in string.gmatch(list, '%d+') do
    found[#found + 1] = tonumber(position)
  end
  return found
end

-- Each bag as stored, checked against what the consumer read (its flights are then among the keys).
local itinerary, itinerary_flights, exists, existed, exceptions = {}, {}, {}, {}, {}
for i = 1, bag_count do
  local read, read_flights = ARGV[7 + 2 * i], ARGV[8 + 2 * i]
  local stored = redis.call('HGET', KEYS[first_bag + i - 1], 'flights')
  if (stored or '') ~= read then
    return {STALE, 0, 0, 0}
  end
  exists[i] = stored ~= false
  existed[i] = exists[i]
  itinerary[i] = stored or '[]'
  itinerary_flights[i] = positions(read_flights)
end
local flight_args = 8 + 2 * bag_count
local operations_from = flight_args + 2 * flight_count + 1

-- The refusals already dead-lettered are forgotten; those of a redelivered offset are returned again.
local required = tonumber(ARGV[2])
local refusals = {}
local pending = redis.call('HKEYS', KEYS[5])
for _, offset in ipairs(pending) do
  if tonumber(offset) <= required then
    redis.call('HDEL', KEYS[5], offset)
  end
end

-- Manifests, loaded on first use and kept as their JSON text: a manifest of hundreds of bags is searched and cut
-- with string.find and string.sub (C), never split into Lua strings. Ids are validated (letters, digits, '_', '-',
-- '.'), so `"<id>"` in the text is that id. Bags added are kept aside (`added`, in order) and appended at the end.
local manifests = {}
local function manifest(position)
  local loaded = manifests[position]
  if loaded then
    return loaded
  end
  local stored = redis.call('HGET', KEYS[first_flight + position - 1], 'bags')
  loaded = {text = stored or '[]', added = {}, adding = {}, changed = false}
  manifests[position] = loaded
  return loaded
end

local function on_manifest(m, tag)
  return m.adding[tag] or string.find(m.text, '"' .. tag .. '"', 1, true) ~= nil
end

local function add_to_manifest(m, tag)
  if on_manifest(m, tag) then
    return
  end
  m.adding[tag] = true
  m.added[#m.added + 1] = tag
  m.changed = true
end

local function remove_from_manifest(m, tag)
  if m.adding[tag] then
    m.adding[tag] = nil
    m.changed = true
    return
  end
  local from, to = string.find(m.text, '"' .. tag .. '"', 1, true)
  if not from then
    return
  end
  -- With the comma before it, or after it when it is the first.
  if string.sub(m.text, from - 1, from - 1) == ',' then
    from = from - 1
  elseif string.sub(m.text, to + 1, to + 1) == ',' then
    to = to + 1
  end
  m.text = string.sub(m.text, 1, from - 1) .. string.sub(m.text, to + 1)
  m.changed = true
end

local function manifest_text(m)
  local added = {}
  for _, tag in ipairs(m.added) do
    if m.adding[tag] then
      added[#added + 1] = '"' .. tag .. '"'
    end
  end
  if #added == 0 then
    return m.text
  end
  local joined = table.concat(added, ',')
  return m.text == '[]' and ('[' .. joined .. ']') or (string.sub(m.text, 1, -2) .. ',' .. joined .. ']')
end

-- Whether a flight's exceptions hash exists (or is written): a bag without exceptions costs nothing where none are.
local has_exceptions = {}
local exceptions_written = {}
local function set_exceptions(position, tag, codes)
  local key = KEYS[first_exceptions + position - 1]
  if has_exceptions[position] == nil then
    has_exceptions[position] = redis.call('EXISTS', key) == 1
  end
  if codes ~= '' then
    redis.call('HSET', key, tag, codes)
    has_exceptions[position] = true
    exceptions_written[position] = true
  elseif has_exceptions[position] then
    redis.call('HDEL', key, tag)
  end
end

local touched = {}
local function touch(list)
  for _, position in ipairs(list) do
    touched[position] = true
  end
end

local applied, counted = 0, {}
local function count(offset)
  if not counted[offset] then
    counted[offset] = true
    applied = applied + 1
  end
end
for op = operations_from, #ARGV, 6 do
  local offset, action, bag = ARGV[op], ARGV[op + 1], tonumber(ARGV[op + 2])
  local new_flights, flights, bag_exceptions = ARGV[op + 3], ARGV[op + 4], ARGV[op + 5]
  local tag = bag > 0 and string.sub(KEYS[first_bag + bag - 1], 8) or ''
  if tonumber(offset) <= applied_up_to then
    local refused = redis.call('HGET', KEYS[5], offset)
    if refused and refusals[offset] == nil then
      refusals[offset] = refused
      refusals[#refusals + 1] = offset
    end
  elseif action == 'E' then
    count(offset)
  elseif action ~= 'A' and not exists[bag] then
    local reason = (action == 'C' and 'CHG' or 'DEL') .. ' for unknown tag ' .. tag
    if refusals[offset] then
      refusals[offset] = refusals[offset] .. '; ' .. reason
    else
      refusals[offset] = reason
      refusals[#refusals + 1] = offset
    end
  else
    local old, new = itinerary_flights[bag], (action == 'D') and {} or positions(new_flights)
    local keep = {}
    for _, position in ipairs(new) do
      keep[position] = true
    end
    for _, position in ipairs(old) do
      if not keep[position] then
        remove_from_manifest(manifest(position), tag)
        set_exceptions(position, tag, '')
      end
    end
    for _, position in ipairs(new) do
      add_to_manifest(manifest(position), tag)
      set_exceptions(position, tag, bag_exceptions)
    end
    touch(old)
    touch(new)
    if action == 'D' then
      exists[bag] = false
      itinerary[bag] = nil
    else
      exists[bag] = true
      itinerary[bag] = flights
    end
    itinerary_flights[bag] = new
    exceptions[bag] = bag_exceptions
    count(offset)
  end
end

-- Bags as they ended, counted by whether they exist now and before.
local inserted, deleted = 0, 0
for i = 1, bag_count do
  local key = KEYS[first_bag + i - 1]
  if exceptions[i] ~= nil then
    if exists[i] and not existed[i] then
      inserted = inserted + 1
    elseif existed[i] and not exists[i] then
      deleted = deleted + 1
    end
    if itinerary[i] == nil then
      redis.call('DEL', key)
    elseif exceptions[i] == '' then
      redis.call('HSET', key, 'flights', itinerary[i])
      redis.call('HDEL', key, 'exceptions')
    else
      redis.call('HSET', key, 'flights', itinerary[i], 'exceptions', exceptions[i])
    end
  end
end

-- Manifests as they ended, and the marks of the due flights touched.
local due_from, due_until = tonumber(ARGV[4]), tonumber(ARGV[5])
local marked = 0
for position in pairs(touched) do
  local key, id = KEYS[first_flight + position - 1], ARGV[flight_args + 2 * position - 1]
  local m = manifests[position]
  if m and m.changed then
    local text = manifest_text(m)
    local scheduled = redis.call('HEXISTS', key, 'arrival_time') == 1
    if text == '[]' and not scheduled then
      redis.call('DEL', key)
    else
      redis.call('HSET', key, 'bags', text)
      if not scheduled then
        redis.call('EXPIREAT', key, ARGV[flight_args + 2 * position])
      end
    end
  end
  if exceptions_written[position] then
    redis.call('EXPIREAT', KEYS[first_exceptions + position - 1], ARGV[flight_args + 2 * position])
  end
  local arrival = tonumber(redis.call('ZSCORE', KEYS[3], id))
  if arrival and arrival >= due_from and arrival <= due_until then
    marked = marked + redis.call('ZADD', KEYS[4], 'NX', ARGV[6], id)
  end
end

if inserted - deleted ~= 0 then
  redis.call('INCRBY', KEYS[1], inserted - deleted)
end
local reply = {APPLIED, applied, inserted, marked}
for _, offset in ipairs(refusals) do
  redis.call('HSET', KEYS[5], offset, refusals[offset])
  reply[#reply + 1] = offset
  reply[#reply + 1] = refusals[offset]
end
if tonumber(ARGV[3]) > applied_up_to then
  redis.call('HSET', KEYS[2], partition, ARGV[3])
end
return reply
