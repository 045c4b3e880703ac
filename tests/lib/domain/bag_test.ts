import assert from "node:assert/strict";
import { parseBag } from "../../../lib/domain/bag.ts";
import { InvalidMessage, type MessageLimits } from "../../../lib/domain/validation.ts";

const LIMITS: MessageLimits = {
  maxMessageBytes: 10_000,
  maxBagsPerFlight: 10,
  maxItineraryFlights: 5,
  maxFutureSeconds: 86_400,
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** parseBag with a recorder of the repeated ids it reports dropped. */
function parse(value: unknown) {
  const drops: [string, string[]][] = [];
  const bag = parseBag(encode(value), LIMITS, (field, dropped) => void drops.push([field, [...dropped]]));
  return { bag, drops };
}

Deno.test("parseBag drops a flight repeated right after itself in an itinerary and reports it", () => {
  assert.deepEqual(parse({ id: "BAG_1", flights: ["FL_A", "FL_A", "FL_B"] }), {
    bag: { id: "BAG_1", flights: ["FL_A", "FL_B"] },
    drops: [["flights", ["FL_A"]]],
  });
  assert.deepEqual(parse({ id: "BAG_1", flights: ["FL_A", "FL_B", "FL_B"] }), {
    bag: { id: "BAG_1", flights: ["FL_A", "FL_B"] },
    drops: [["flights", ["FL_B"]]],
  });
});

Deno.test("parseBag rejects an itinerary that lists a flight twice apart: the flight after it is ambiguous", () => {
  const drops: unknown[] = [];
  assert.throws(
    () =>
      parseBag(
        encode({ id: "BAG_1", flights: ["FL_A", "FL_B", "FL_A"] }),
        LIMITS,
        (...args: unknown[]) => void drops.push(args),
      ),
    new InvalidMessage("'flights' lists FL_A twice, not in a row: what follows FL_A is ambiguous"),
  );
  assert.deepEqual(drops, []);
});

Deno.test("parseBag reports no drop for an itinerary without repeats", () => {
  assert.deepEqual(parse({ id: "BAG_1", flights: ["FL_A", "FL_B"] }), {
    bag: { id: "BAG_1", flights: ["FL_A", "FL_B"] },
    drops: [],
  });
  assert.deepEqual(parseBag(encode({ id: "BAG_2", flights: [] }), LIMITS), { id: "BAG_2", flights: [] });
});
