import assert from "node:assert/strict";
import { bagTimeline, flightTimeline, routingText } from "../../../lib/archive/timeline.ts";

Deno.test("routingText() says each code, a departure and a removal in words", () => {
  assert.deepEqual(
    [0, -1, -2, -3, -10, -99].map((code) => routingText(code, null)),
    [
      "final destination",
      "itinerary unknown",
      "no flights",
      "next flight unknown",
      "flight not in the itinerary",
      "code -99",
    ],
  );
  assert.equal(routingText(1_796_224_600, "FL_B"), "next FL_B departing 2026-12-02T15:16:40Z");
  assert.equal(routingText(null, null), "removed from the flight's work");
});

Deno.test("bagTimeline() lists itinerary versions and work revisions in time order, fractions of seconds kept", () => {
  const text = bagTimeline({
    id: "BAG_1",
    itineraries: [
      { flights: ["FL_A", "FL_B"], at: "2026-12-02T10:00:00.250Z", partition: 0, offset: 1 },
      { flights: [], at: "2026-12-02T10:05:00.000Z", partition: 0, offset: 7 },
    ],
    work: [
      {
        flight_id: "FL_A",
        revision: 1,
        arrival_time: 1_796_212_800,
        departure_time: 1_796_220_000,
        next_flight_id: "FL_B",
        removed: false,
        scanned_at: 1_796_205_601.5,
      },
      {
        flight_id: "FL_A",
        revision: 2,
        arrival_time: 1_796_212_800,
        departure_time: null,
        next_flight_id: null,
        removed: true,
        scanned_at: 1_796_206_000,
      },
    ],
    events: [],
  });
  assert.equal(
    text,
    [
      "bag BAG_1",
      "  2026-12-02T10:00:00.250Z  itinerary FL_A > FL_B",
      "  2026-12-02T10:00:01.500Z  arriving on FL_A at 2026-12-02T12:00:00Z (revision 1): next FL_B departing 2026-12-02T14:00:00Z",
      "  2026-12-02T10:05:00Z  itinerary (no flights)",
      "  2026-12-02T10:06:40Z  arriving on FL_A at 2026-12-02T12:00:00Z (revision 2): removed from the flight's work",
    ].join("\n"),
  );
});

Deno.test("flightTimeline() lists schedule versions and work revisions with their counts", () => {
  const text = flightTimeline({
    id: "FL_A",
    versions: [{
      departure_time: 1_796_205_600,
      arrival_time: 1_796_212_800,
      bags: ["BAG_1", "BAG_2"],
      at: "2026-12-02T09:00:00.000Z",
      partition: 2,
      offset: 0,
    }],
    work: [{
      revision: 1,
      arrival_time: 1_796_212_800,
      scanned_at: 1_796_212_200,
      bags: { BAG_1: 1_796_220_000, BAG_2: 0 },
      next_flights: { BAG_1: "FL_B", BAG_2: null },
      removed_bags: ["BAG_3"],
    }],
  });
  assert.equal(
    text,
    [
      "flight FL_A",
      "  2026-12-02T09:00:00Z  schedule 2026-12-02T10:00:00Z > 2026-12-02T12:00:00Z, 2 bags",
      "  2026-12-02T11:50:00Z  work revision 1 for arrival 2026-12-02T12:00:00Z: 2 bags, 1 transferring, 1 removed",
    ].join("\n"),
  );
});
