/**
 * Every Redis key the system uses, built in one place.
 * The seed's keys (flight:*, bag:*) are a public contract; our own state lives under
 * `offsets:` (last applied Kafka offset per topic partition) and `work:` (scanner revisions) and `bridge:` (stream mirroring).
 */
import { hashedPart, keySlot, slotTag } from "./cluster_slots.ts";

/** Hash of one flight: departure_time, arrival_time, bags (JSON array). */
export const flightKey = (flightId: string) => `flight:id:${flightId}`;
/**
 * Hash: bag id -> its exceptions ("RUSH,PRIO"), for the bags of flight `flightId`'s manifest that baggage messages gave
 * some (lua/apply_baggage_messages.lua); the scanner puts them into the work message. Expires with the flight's day.
 */
export const flightBagExceptionsKey = (flightId: string) => `flight:bag_exceptions:${flightId}`;
/** Hash of one bag: flights (JSON array, in itinerary order). */
export const bagKey = (bagId: string) => `bag:id:${bagId}`;

/**
 * What ends the names of the aggregate keys (indexes, counts, marks) that cover `key`: "" on one Redis node, one
 * aggregate for every key; on a Redis Cluster `:{<tag of the slot of key>}`, one aggregate per slot, so that a
 * resharding moves an aggregate with the keys it covers and a failover keeps or loses them together
 * (docs/design/redis-cluster.md). The upsert scripts name the aggregates of an item by its scope the same way.
 */
export const slotScope = (key: string, onCluster: boolean) => onCluster ? `:{${slotTag(keySlot(key))}}` : "";

/** Sorted set of flight ids scored by arrival time (of the flights of `scope`'s slot on a cluster). */
export const flightArrivalsKey = (scope = "") => `flight:arrival_times${scope}`;
export const FLIGHT_ARRIVALS = flightArrivalsKey();
/**
 * Sorted set of flights whose work has been published at least once, scored by arrival time (of the flights of
 * `scope`'s slot on a cluster).
 */
export const flightsArrivedKey = (scope = "") => `flight:arrived${scope}`;
export const FLIGHTS_ARRIVED = flightsArrivedKey();
/** Number of distinct flights stored (of `scope`'s slot on a cluster: the gauges sum the slots). */
export const flightCountKey = (scope = "") => `flight:count${scope}`;
export const FLIGHT_COUNT = flightCountKey();
/** Number of distinct bags stored (of `scope`'s slot on a cluster: the gauges sum the slots). */
export const bagCountKey = (scope = "") => `bag:count${scope}`;
export const BAG_COUNT = bagCountKey();
/**
 * Sorted set of the flights expired, scored by arrival time: the bag sweep's evidence that a journey is over (of the
 * flights of `scope`'s slot on a cluster).
 */
export const flightsExpiredKey = (scope = "") => `flight:expired${scope}`;
export const FLIGHTS_EXPIRED = flightsExpiredKey();
/**
 * Sorted set of bag keys whose journey the sweep could not tell (no flight known), by when it first saw them (of the
 * bags of `scope`'s slot on a cluster).
 */
export const bagsUnresolvedKey = (scope = "") => `bag:unresolved${scope}`;
export const BAGS_UNRESOLVED = bagsUnresolvedKey();
/**
 * Where the bag sweep's SCAN cursor stands ("0": a new pass). On a cluster, one per master, ending with the scope of
 * the master's lowest slot (SCAN visits one node's keys).
 */
export const bagSweepCursorKey = (scope = "") => `bag:sweep_cursor${scope}`;
export const BAG_SWEEP_CURSOR = bagSweepCursorKey();

/** Hash: partition -> last Kafka offset applied to Redis for `topic` (exactly-once upserts). */
export const appliedOffsetsKey = (topic: string) => `offsets:${topic}`;
/**
 * On a Redis Cluster, the record of `appliedOffsetsKey(topic)` kept by the node whose lowest slot has `tag`: partition
 * -> last offset applied on that node (see lib/consume/node_records.ts).
 */
export const nodeOffsetsKey = (topic: string, tag: string) => `offsets:${topic}:{${tag}}`;

/**
 * Hash: offset -> why the baggage-messages consumer refused a message of `partition` of `topic` (a CHG or DEL of an
 * unknown tag), kept until the message is known to be dead-lettered (see lua/apply_baggage_messages.lua).
 */
export const refusedOffsetsKey = (topic: string, partition: number) => `offsets:${topic}:refused:${partition}`;
/**
 * Hash of the scanner's publication state of one flight (revision, digest, claim). On a cluster it ends with the scope
 * of the flight's key (`work:flight:<id>:{<tag>}`), so that it lives, moves and fails over with the flight.
 */
export const workStateKey = (flightId: string, scope = "") => `work:flight:${flightId}${scope}`;
/**
 * Sorted set of due flights whose work may have changed, scored by the time (ms) of the first change since the
 * scanner last took them: the upserts add them, the scanner's change follower pops them (see change_follower.ts). On a
 * cluster, one per slot (`scope`) holding the flights whose keys are on it.
 */
export const workMarksKey = (scope = "") => `work:marks${scope}`;
export const WORK_MARKS = workMarksKey();
const HOUR_SECONDS = 3600;
/** The hour of an arrival (Unix seconds / 3600, rounded down): which work:due_* keys a due flight is recorded in. */
export const arrivalHour = (arrivalSeconds: number) => Math.floor(arrivalSeconds / HOUR_SECONDS);
/** The hours of the arrivals between `fromSeconds` and `untilSeconds`, earliest first. */
export function arrivalHours(fromSeconds: number, untilSeconds: number): number[] {
  const hours: number[] = [];
  for (let hour = arrivalHour(fromSeconds); hour <= arrivalHour(untilSeconds); hour++) hours.push(hour);
  return hours;
}
/** The prefix of the scanner's records of what the due flights' work depends on (work:due_bags, work:due_next). */
export const DUE_RECORDS_PREFIX = "work:due_";
/**
 * Set of the keys (bag:id:<id>) of the bags on the manifests of the due flights arriving in `hour`, as the scanner
 * read them (lua/read_due_itineraries.lua): a change of such a bag marks the due flights of its itinerary. On a
 * cluster, one per slot (`scope`) holding the bags whose keys are on it.
 */
export const dueBagsKey = (hour: number, scope = "") => `${DUE_RECORDS_PREFIX}bags:${hour}${scope}`;
/**
 * Hash: key of a flight (flight:id:<id>) -> the ids, comma-separated, of the due flights arriving in `hour` with a
 * bag connecting to it, as the scanner read them (lua/read_due_departures.lua): a move of its departure marks them.
 * On a cluster, one per slot (`scope`) holding the flights whose keys are on it.
 */
export const dueNextFlightsKey = (hour: number, scope = "") => `${DUE_RECORDS_PREFIX}next:${hour}${scope}`;
/** When the work:due_* keys of `hour` expire (Unix seconds): an hour after its last flight's grace period. */
export const dueKeysExpiry = (hour: number, graceSeconds: number) => (hour + 2) * HOUR_SECONDS + graceSeconds;
/** Hash with `restored_at`: its absence means Redis lost the scanner's publication states (see work_state_restore.ts). */
export const WORK_STATE = "work:state";

/**
 * What names the bridge's keys of `stream`: the stream's name on one node; on a Redis Cluster, a hash tag of the part
 * of the stream's name that decides its slot (its slot's tag when that part holds a brace), so the stream and every
 * key of its appends share one slot: `bridge:offsets:{stream:arriving_flight_work}`.
 */
function bridgeScope(stream: string, onCluster: boolean): string {
  if (!onCluster) return stream;
  const hashed = hashedPart(stream);
  return `{${/[{}]/.test(hashed) ? slotTag(keySlot(stream)) : hashed}}`;
}
/** Hash: "<topic>:<partition>" -> last offset of the work topic mirrored into the stream. */
export const bridgeOffsetsKey = (stream: string, onCluster = false) =>
  `bridge:offsets:${bridgeScope(stream, onCluster)}`;
/** Hash: flight id -> highest work revision mirrored into the stream. */
export const bridgeRevisionsKey = (stream: string, onCluster = false) =>
  `bridge:revisions:${bridgeScope(stream, onCluster)}`;
/** Sorted set of the flights in bridgeRevisionsKey scored by arrival time, to forget them after DATA_RETENTION_SECONDS. */
export const bridgeRevisionArrivalsKey = (stream: string, onCluster = false) =>
  `bridge:revision_arrivals:${bridgeScope(stream, onCluster)}`;
