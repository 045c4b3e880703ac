/**
 * The keys and arguments of the upsert scripts on one Redis node for the test topics `flights` and `bags` (see the
 * headers of lua/upsert_flights.lua and lua/upsert_bags.lua), from their values in the order a test reads best.
 */

/** No due window and no hour of arrival: no marks. */
export const NO_MARKS = [0, 0, 0, ""] as const;

type Value = string | number;

/**
 * upsert_flights.lua's call: `values` are partition, required offset, last offset, the marks (first and last due
 * arrival, now in ms, the hours comma-separated), then six per flight: offset, id, departure, arrival, bags, stamp.
 */
export function flightCall(values: readonly Value[]): [string[], Value[]] {
  const head = values.slice(0, 7);
  const args: Value[] = [...head, ""];
  for (let i = 7; i < values.length; i += 6) {
    const [offset, id, ...rest] = values.slice(i, i + 6);
    args.push(offset!, `flight:id:${id}`, "", id!, ...rest);
  }
  return [["offsets:flights", "work:marks"], args];
}

/**
 * upsert_bags.lua's call for bags `ids`: `values` are partition, required offset, last offset, the offsets and the
 * stamps (comma-separated), the marks (as flightCall's), then each bag's itinerary (JSON).
 */
export function bagCall(ids: readonly string[], values: readonly Value[]): [string[], Value[]] {
  const head = values.slice(0, 9);
  return [["offsets:bags"], [...head, "", ...ids.map((id) => `bag:id:${id}`), ...values.slice(9)]];
}
