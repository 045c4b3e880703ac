/** The KEYS of the upsert scripts for the test topics `flights` and `bags` (see lua/upsert_*.lua headers). */

/** upsert_flights.lua's KEYS for flights `ids`, in order. */
export const flightKeys = (...ids: string[]) => [
  "flight:arrival_times",
  "flight:count",
  "offsets:flights",
  "work:marks",
  ...ids.flatMap((id) => [`flight:id:${id}`, `work:next:${id}`]),
];

/** upsert_bags.lua's KEYS for bags `ids`, in order. */
export const bagKeys = (...ids: string[]) => [
  "bag:count",
  "offsets:bags",
  "flight:arrival_times",
  "work:marks",
  ...ids.map((id) => `bag:id:${id}`),
];
