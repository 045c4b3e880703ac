/** The KEYS of the upsert scripts for the test topics `flights` and `bags` (see lua/upsert_*.lua headers). */

/** upsert_flights.lua's KEYS for flights `ids`, in order, with the work:deps:<hour> keys `deps` (d in ARGV). */
export const flightKeysWith = (deps: readonly string[], ...ids: string[]) => [
  "flight:arrival_times",
  "flight:count",
  "offsets:flights",
  "work:marks",
  ...deps,
  ...ids.map((id) => `flight:id:${id}`),
];

/** upsert_flights.lua's KEYS for flights `ids`, in order, with no work:deps:<hour> key. */
export const flightKeys = (...ids: string[]) => flightKeysWith([], ...ids);

/** upsert_bags.lua's KEYS for bags `ids`, in order, with the work:deps:<hour> keys `deps` (d in ARGV). */
export const bagKeysWith = (deps: readonly string[], ...ids: string[]) => [
  "bag:count",
  "offsets:bags",
  "flight:arrival_times",
  "work:marks",
  ...deps,
  ...ids.map((id) => `bag:id:${id}`),
];

/** upsert_bags.lua's KEYS for bags `ids`, in order, with no work:deps:<hour> key. */
export const bagKeys = (...ids: string[]) => bagKeysWith([], ...ids);
