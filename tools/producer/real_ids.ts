/**
 * The real-world identifiers of the dataset in `bsm` mode (pure): a flight's id is its airline-style number and the
 * UTC date of its departure, `BA0282-2026-12-02`, the id a consumer rebuilds from a baggage message's flight element
 * (flight as written, `-`, ISO date); a bag's id is a 10-digit tag number.
 */

/** What the real id of a flight is made of: its `FL_…` id, its number (`BA0282`) and departure (Unix seconds). */
export interface NumberedFlight {
  readonly id: string;
  readonly flightNumber: string;
  readonly departure_time: number;
}

/** Flight numbers of one airline: 0001 to 9999 (0000 only when drawn as such). */
const NUMBERS = 9999;

/** The numbers of one airline on one day taken so far. */
interface Day {
  /** For each taken number, one further on with only taken numbers between: where the search for a free one goes on. */
  readonly next: Map<number, number>;
  /** How many of 0001 to 9999 are taken. */
  taken: number;
}

/**
 * The real id of each flight, by `FL_…` id, assigned in the given order. A real id already taken goes to the next
 * free number of that airline on that day (BA0283, …, 9999 wraps to 0001), so the mapping is injective and, for the
 * same flights in the same order, always the same. Throws a RangeError when an airline's 9,999 numbers of a day are
 * all taken.
 */
export function realFlightIds(flights: Iterable<NumberedFlight>): Map<string, string> {
  const ids = new Map<string, string>();
  const days = new Map<string, Day>();
  for (const flight of flights) {
    const match = /^([A-Z0-9]{2})(\d{4})$/.exec(flight.flightNumber);
    if (!match) {
      throw new RangeError(`flight number ${flight.flightNumber} of ${flight.id} is not 2 characters + 4 digits`);
    }
    const airline = match[1]!;
    const date = isoDate(flight.departure_time);
    let day = days.get(airline + date);
    if (day === undefined) days.set(airline + date, day = { next: new Map(), taken: 0 });
    const wanted = Number(match[2]);
    if (day.next.has(wanted) && day.taken === NUMBERS) {
      throw new RangeError(`all ${NUMBERS} numbers of airline ${airline} on ${date} are taken`);
    }
    const number = firstFree(day.next, wanted);
    day.next.set(number, number % NUMBERS + 1);
    if (number > 0) day.taken += 1;
    ids.set(flight.id, `${airline}${String(number).padStart(4, "0")}-${date}`);
  }
  return ids;
}

/**
 * The first number from `wanted` on (9999 wrapping to 0001) that `next` does not hold. Each step also points the
 * number it leaves two links further (path halving), so a crowded day stays fast: faker draws flight numbers of 1 to
 * 4 digits alike, so 0000 to 0009 get a quarter of the draws.
 */
function firstFree(next: Map<number, number>, wanted: number): number {
  let number = wanted;
  for (;;) {
    const following = next.get(number);
    if (following === undefined) return number;
    const after = next.get(following);
    if (after === undefined) return following;
    next.set(number, after);
    number = after;
  }
}

/** The UTC date (`YYYY-MM-DD`) of Unix time `seconds`. */
export function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** The tag number of the bag at position 0 of the dataset: `0125000000`, 0 then 125 (BA's numeric code) then 000000. */
export const FIRST_TAG = 125_000_000;
/** Bags a run can number: tags go from 0125000000 to 9999999999. */
export const MAX_TAGS = 10_000_000_000 - FIRST_TAG;

/**
 * The 10-digit tag number of the bag at `index` (0, 1, … in generation order): FIRST_TAG + index, zero-padded, so
 * unique for every index below MAX_TAGS (9,875,000,000 bags, more than the largest dataset the settings allow).
 */
export function tagNumber(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_TAGS) {
    throw new RangeError(`bag index ${index} has no tag number (0 to ${MAX_TAGS - 1})`);
  }
  return String(FIRST_TAG + index).padStart(10, "0");
}
