import assert from "node:assert/strict";
import { toWorkEntry } from "../../../lib/stream/stream_reader.ts";

const fields = (extra: string[] = []) => [
  ...["flight_id", "BA0117-2027-01-15", "bag_id", "0125728359", "arrival_time", "1800000300"],
  ...["departure_time", "1800007200", "next_flight_id", "BA0282-2027-01-15", "revision", "2"],
  ...["scanned_at", "1800000000.5", "partition", "1", "offset", "41", ...extra],
];
const entry = {
  id: "1800000000000-0",
  flight_id: "BA0117-2027-01-15",
  bag_id: "0125728359",
  arrival_time: 1_800_000_300,
  departure_time: 1_800_007_200,
  next_flight_id: "BA0282-2027-01-15",
  removed: false,
  revision: 2,
  scanned_at: 1_800_000_000.5,
  partition: 1,
  offset: "41",
};

Deno.test("toWorkEntry() reads a bag's exceptions when its entry has some, and leaves the field out otherwise", () => {
  assert.deepEqual(toWorkEntry(["1800000000000-0", fields()]), entry);
  assert.deepEqual(toWorkEntry(["1800000000000-0", fields(["exceptions", "RUSH,PRIO"])]), {
    ...entry,
    exceptions: ["RUSH", "PRIO"],
  });
});
