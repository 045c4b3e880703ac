import assert from "node:assert/strict";
import { BagCode, bagOutcome, nextDeparture, workDigest } from "../../../lib/domain/work.ts";

const departures = new Map([["FL_B", 1_800_000_600]]);

Deno.test("nextDeparture() gives the next flight's departure time when the bag connects", () => {
  assert.deepEqual(nextDeparture("FL_A", { itinerary: ["FL_A", "FL_B"], departures }), {
    value: 1_800_000_600,
    nextFlight: "FL_B",
  });
});

Deno.test("nextDeparture() gives 0 when the flight is the bag's last", () => {
  assert.deepEqual(nextDeparture("FL_B", { itinerary: ["FL_A", "FL_B"], departures }), {
    value: BagCode.FinalDestination,
    nextFlight: null,
  });
});

Deno.test("nextDeparture() gives -1 when the bag's itinerary is unknown", () => {
  assert.deepEqual(nextDeparture("FL_A", { itinerary: null, departures }), { value: -1, nextFlight: null });
});

Deno.test("nextDeparture() gives -2 when the itinerary has no flights", () => {
  assert.deepEqual(nextDeparture("FL_A", { itinerary: [], departures }), { value: -2, nextFlight: null });
});

Deno.test("nextDeparture() gives -3 and names the next flight when it is not in Redis", () => {
  assert.deepEqual(nextDeparture("FL_A", { itinerary: ["FL_A", "FL_X"], departures }), {
    value: -3,
    nextFlight: "FL_X",
  });
});

Deno.test("nextDeparture() gives -10 when the itinerary does not contain the flight", () => {
  assert.deepEqual(nextDeparture("FL_Z", { itinerary: ["FL_A", "FL_B"], departures }), {
    value: -10,
    nextFlight: null,
  });
});

Deno.test("bagOutcome() labels departures and every code", () => {
  assert.deepEqual([1_800_000_600, 0, -1, -2, -3, -10].map(bagOutcome), [
    "departure",
    "final_destination",
    "itinerary_unknown",
    "no_flights",
    "next_flight_unknown",
    "flight_not_in_itinerary",
  ]);
});

Deno.test("workDigest() ignores bag order and changes with any value or the arrival time", () => {
  const work = {
    id: "FL_A",
    arrival_time: 1_800_000_000,
    bags: { B1: 0, B2: -1 },
    next_flights: { B1: null, B2: null },
  };
  const reordered = { ...work, bags: { B2: -1, B1: 0 } };
  assert.equal(workDigest(work), workDigest(reordered));
  assert.notEqual(workDigest(work), workDigest({ ...work, arrival_time: 1_800_000_060 }));
  assert.notEqual(workDigest(work), workDigest({ ...work, bags: { B1: 0, B2: -3 } }));
});
