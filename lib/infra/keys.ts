/**
 * Every Redis key the system uses, built in one place.
 * The seed's keys (flight:*, bag:*) are a public contract; our own state lives under
 * `offsets:` (last applied Kafka offset per topic partition) and `work:` (scanner revisions) and `bridge:` (stream mirroring).
 */

/** Hash of one flight: departure_time, arrival_time, bags (JSON array). */
export const flightKey = (flightId: string) => `flight:id:${flightId}`;
/** Hash of one bag: flights (JSON array, in itinerary order). */
export const bagKey = (bagId: string) => `bag:id:${bagId}`;
/** Sorted set of flight ids scored by arrival time. */
export const FLIGHT_ARRIVALS = "flight:arrival_times";
/** Sorted set of flights whose work has been published at least once, scored by arrival time. */
export const FLIGHTS_ARRIVED = "flight:arrived";
/** Number of distinct flights stored. */
export const FLIGHT_COUNT = "flight:count";
/** Number of distinct bags stored. */
export const BAG_COUNT = "bag:count";
/** Sorted set of the flights expired, scored by arrival time: the bag sweep's evidence that a journey is over. */
export const FLIGHTS_EXPIRED = "flight:expired";
/** Sorted set of bag keys whose journey the sweep could not tell (no flight known), by when it first saw them. */
export const BAGS_UNRESOLVED = "bag:unresolved";
/** Where the bag sweep's SCAN cursor stands ("0": a new pass). */
export const BAG_SWEEP_CURSOR = "bag:sweep_cursor";

/** Hash: partition -> last Kafka offset applied to Redis for `topic` (exactly-once upserts). */
export const appliedOffsetsKey = (topic: string) => `offsets:${topic}`;

/** Hash of the scanner's publication state of one flight (revision, digest, claim). */
export const workStateKey = (flightId: string) => `work:flight:${flightId}`;
/**
 * Sorted set of due flights whose work may have changed, scored by the time (ms) of the first change since the
 * scanner last took them: the upserts add them, the scanner's change follower pops them (see change_follower.ts).
 */
export const WORK_MARKS = "work:marks";
/** Seconds of arrival time per work:deps:<hour> hash: an hour. */
const DEPENDENCY_HOUR_SECONDS = 3600;
/**
 * Hash of what the work of the flights arriving in one hour depends on: key of a bag or a flight -> the ids of
 * those flights, comma-separated, recorded by the scanner as it reads them (lua/read_and_record_dependents.lua)
 * and looked up by the upserts to mark them. One hash an hour of arrival, so that each expires as a whole.
 */
export const workDependenciesKey = (arrivalSeconds: number) =>
  `work:deps:${Math.floor(arrivalSeconds / DEPENDENCY_HOUR_SECONDS)}`;
/** The work:deps:<hour> keys of the flights arriving between `fromSeconds` and `untilSeconds`, oldest first. */
export function workDependenciesKeysCovering(fromSeconds: number, untilSeconds: number): string[] {
  const keys: string[] = [];
  const last = Math.floor(untilSeconds / DEPENDENCY_HOUR_SECONDS);
  for (let hour = Math.floor(fromSeconds / DEPENDENCY_HOUR_SECONDS); hour <= last; hour++) {
    keys.push(`work:deps:${hour}`);
  }
  return keys;
}
/** When the work:deps:<hour> hash of `arrivalSeconds` may go: its flights are no longer due after this (seconds). */
export const workDependenciesExpiry = (arrivalSeconds: number, graceSeconds: number) =>
  (Math.floor(arrivalSeconds / DEPENDENCY_HOUR_SECONDS) + 1) * DEPENDENCY_HOUR_SECONDS + graceSeconds +
  DEPENDENCY_HOUR_SECONDS;
/** Hash with `restored_at`: its absence means Redis lost the scanner's publication states (see work_state_restore.ts). */
export const WORK_STATE = "work:state";

/** Hash: "<topic>:<partition>" -> last offset of the work topic mirrored into the stream. */
export const bridgeOffsetsKey = (stream: string) => `bridge:offsets:${stream}`;
/** Hash: flight id -> highest work revision mirrored into the stream. */
export const bridgeRevisionsKey = (stream: string) => `bridge:revisions:${stream}`;
/** Sorted set of the flights in bridgeRevisionsKey scored by arrival time, to forget them after DATA_RETENTION_SECONDS. */
export const bridgeRevisionArrivalsKey = (stream: string) => `bridge:revision_arrivals:${stream}`;
