import assert from "node:assert/strict";
import { parseFlight } from "../../../lib/domain/flight.ts";
import { InvalidMessage, type MessageLimits } from "../../../lib/domain/validation.ts";

const NOW = 1_800_000_000;
const LIMITS: MessageLimits = {
  maxMessageBytes: 10_000,
  maxBagsPerFlight: 10,
  maxItineraryFlights: 10,
  maxFutureSeconds: 86_400,
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** parseFlight with a recorder of the repeated ids it reports dropped. */
function parse(value: unknown) {
  const drops: [string, string[]][] = [];
  const flight = parseFlight(encode(value), LIMITS, NOW, (field, dropped) => void drops.push([field, [...dropped]]));
  return { flight, drops };
}

Deno.test("parseFlight keeps a manifest's first occurrence of a repeated bag, applies the rest, and reports the drops", () => {
  const message = {
    id: "FL_1",
    departure_time: NOW + 60,
    arrival_time: NOW + 3_600,
    bags: ["B1", "B2", "B1", "B2", "B3"],
  };
  assert.deepEqual(parse(message), {
    flight: { id: "FL_1", departure_time: NOW + 60, arrival_time: NOW + 3_600, bags: ["B1", "B2", "B3"] },
    drops: [["bags", ["B1", "B2"]]],
  });
});

Deno.test("parseFlight reports no drop for a manifest without repeats", () => {
  const message = { id: "FL_1", departure_time: NOW + 60, arrival_time: NOW + 3_600, bags: ["B1", "B2"] };
  assert.deepEqual(parse(message).drops, []);
  assert.deepEqual(parseFlight(encode(message), LIMITS, NOW).bags, ["B1", "B2"]);
});

Deno.test("parseFlight still rejects a manifest with a repeated bag when another field is invalid", () => {
  const message = { id: "FL_1", departure_time: NOW + 60, arrival_time: NOW, bags: ["B1", "B1"] };
  assert.throws(() => parse(message), new InvalidMessage("'arrival_time' must be after 'departure_time'"));
});

Deno.test("parseFlight accepts a flight without bags (a schedule feed) and a real flight's id", () => {
  const schedule = { id: "BA0282-2026-02-05", departure_time: NOW + 600, arrival_time: NOW + 4200 };
  assert.deepEqual(parse(schedule), { flight: schedule, drops: [] });
});
