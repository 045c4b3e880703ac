import assert from "node:assert/strict";
import { AIRPORTS, bsmEncoding, datasetBsm, drawPassengers, NAME_POOL } from "../../../tools/producer/bsm_dataset.ts";
import { bsmDate } from "../../../tools/producer/bsm.ts";
import { type DatasetOptions, generateDataset, type GeneratedBag } from "../../../tools/producer/dataset.ts";
import { tagNumber } from "../../../tools/producer/real_ids.ts";

const REAL_IDS = new Map([
  ["FL_A", "BA0282-2026-12-02"],
  ["FL_B", "LH0901-2026-12-02"],
  ["FL_C", "5J0007-2026-12-03"],
]);
const PASSENGERS = [{ surname: "SMITH", given: "JOHN" }, { surname: "LEE", given: "ANN" }];
const bag = (index: number, itinerary: string[], kind: GeneratedBag["kind"] = "on_time"): GeneratedBag => ({
  id: `BAG_${index}`,
  index,
  itinerary,
  kind,
  firstArrival: 1_900_000_000,
});
const OPTIONS: DatasetOptions = {
  seed: 11,
  startSeconds: Date.UTC(2026, 11, 2, 20) / 1000,
  hours: 8,
  flightsPerHour: 20,
  bagsPerHour: 500,
  minConnectionMinutes: 45,
  maxConnectionMinutes: 360,
  lateRate: 0.1,
  missingRate: 0.1,
  emptyRate: 0.1,
};

Deno.test("datasetBsm() writes a one-flight bag as terminating, with its tag, real flight and passenger", () => {
  assert.equal(
    datasetBsm(bag(0, ["FL_A"]), REAL_IDS, PASSENGERS),
    "BSM\n.V/1XLHR\n.I/BA0282/02DEC/ORD/Y\n.N/0125000000001\n.P/SMITH/JOHN\nENDBSM",
  );
});

Deno.test("datasetBsm() writes a three-flight bag as transfer: .I, .F, then .O, each flight dated as its real id", () => {
  assert.equal(
    datasetBsm(bag(3, ["FL_A", "FL_B", "FL_C"], "late"), REAL_IDS, PASSENGERS),
    [
      "BSM",
      ".V/1TLHR",
      ".I/BA0282/02DEC/ORD/Y",
      ".F/LH0901/02DEC/MAD/Y",
      ".O/5J0007/03DEC/JFK/Y",
      ".N/0125000003001",
      ".P/LEE/ANN",
      "ENDBSM",
    ].join("\n"),
  );
});

Deno.test("datasetBsm() writes nothing for a missing bag or an empty itinerary, and throws for an unknown flight", () => {
  assert.equal(datasetBsm(bag(1, ["FL_A"], "missing"), REAL_IDS, PASSENGERS), null);
  assert.equal(datasetBsm(bag(2, ["FL_A"], "empty"), REAL_IDS, PASSENGERS), null);
  assert.throws(
    () => datasetBsm(bag(4, ["FL_A", "FL_X"]), REAL_IDS, PASSENGERS),
    new Error("flight FL_X is not in the dataset's real ids"),
  );
});

Deno.test("drawPassengers() draws the same NAME_POOL uppercase names for the same seed", () => {
  const passengers = drawPassengers(7);

  assert.equal(passengers.length, NAME_POOL);
  assert.deepEqual(passengers.slice(0, 3), [
    { surname: "KESSLER", given: "KERRY" },
    { surname: "GLEICHNER", given: "PENELOPE" },
    { surname: "GREEN", given: "HORACE" },
  ]);
  assert.deepEqual(drawPassengers(7), passengers);
  assert.notDeepEqual(drawPassengers(8), passengers);
  for (const { surname, given } of passengers) {
    assert.match(surname, /^[A-Z]{1,20}$/);
    assert.match(given, /^[A-Z]{1,20}$/);
  }
});

Deno.test("bsmEncoding() sends flights as schedules under real ids and each sendable bag as one BSM keyed by its tag", () => {
  const encoding = bsmEncoding(OPTIONS);
  const chunks = [...generateDataset(OPTIONS)];
  const flights = chunks.flatMap((chunk) => chunk.flights);
  const bags = chunks.flatMap((chunk) => chunk.bags);

  assert.equal(encoding.realIds.size, flights.length);
  for (const flight of flights) {
    const message = encoding.flight(flight);
    assert.deepEqual(message, {
      id: encoding.realIds.get(flight.id),
      departure_time: flight.departure_time,
      arrival_time: flight.arrival_time,
    });
    assert.deepEqual(Object.keys(message), ["id", "departure_time", "arrival_time"]);
  }
  const tags = new Set<string>();
  for (const bag of bags) {
    const message = encoding.bag(bag);
    if (bag.kind === "missing" || bag.kind === "empty") {
      assert.equal(message, null, bag.kind);
      continue;
    }
    assert.ok(message !== null);
    assert.equal(message.tag, tagNumber(bag.index));
    assert.match(message.tag, /^\d{10}$/);
    tags.add(message.tag);
    const lines = message.text.split("\n");
    assert.equal(lines[1], bag.itinerary.length === 1 ? ".V/1XLHR" : ".V/1TLHR");
    // Each flight element gives back the real id by the consumer's rule: flight as written, "-", its date.
    const elements = lines.filter((line) => /^\.[IFO]\//.test(line));
    assert.deepEqual(elements.map((line) => line.slice(0, 2)), [".I", ".F", ".O"].slice(0, bag.itinerary.length));
    for (const [position, line] of elements.entries()) {
      const [, designator, date, airport, travelClass] = line.split("/");
      const realId = encoding.realIds.get(bag.itinerary[position]!)!;
      assert.equal(`${designator}-${realId.slice(7)}`, realId);
      assert.equal(date, bsmDate(realId.slice(7)));
      assert.ok((AIRPORTS as readonly string[]).includes(airport!), airport);
      assert.equal(travelClass, "Y");
    }
    assert.equal(lines.at(-3), `.N/${message.tag}001`);
  }
  assert.equal(tags.size, bags.filter((bag) => bag.kind === "on_time" || bag.kind === "late").length);
});
