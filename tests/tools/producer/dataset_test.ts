import assert from "node:assert/strict";
import {
  bagMessage,
  type DatasetChunk,
  type DatasetOptions,
  flightCapacity,
  generateDataset,
  type GeneratedBag,
  type GeneratedFlight,
  scheduledFlights,
} from "../../../tools/producer/dataset.ts";

const START = 1_900_000_000;
const OPTIONS: DatasetOptions = {
  seed: 42,
  startSeconds: START,
  hours: 4,
  flightsPerHour: 40,
  bagsPerHour: 4000,
  minConnectionMinutes: 45,
  maxConnectionMinutes: 360,
  lateRate: 0.01,
  missingRate: 0.005,
  emptyRate: 0.002,
};
const UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

function generate(overrides: Partial<DatasetOptions> = {}): DatasetChunk[] {
  return [...generateDataset({ ...OPTIONS, ...overrides })];
}

function flightsById(chunks: DatasetChunk[]): Map<string, GeneratedFlight> {
  return new Map(chunks.flatMap((chunk) => chunk.flights).map((flight) => [flight.id, flight]));
}

const allBags = (chunks: DatasetChunk[]): GeneratedBag[] => chunks.flatMap((chunk) => chunk.bags);

Deno.test("generateDataset() yields one chunk per hour: the flights arriving in it and the bags whose first flight does", () => {
  const chunks = generate();

  assert.deepEqual(chunks.map((chunk) => chunk.hour), [0, 1, 2, 3]);
  for (const chunk of chunks) {
    const hourStart = START + chunk.hour * 3600;
    assert.equal(chunk.flights.length, 40);
    assert.equal(chunk.bags.length, 4000);
    const arrivals = chunk.flights.map((flight) => flight.arrival_time);
    assert.deepEqual(arrivals, [...arrivals].sort((a, b) => a - b), "flights sorted by arrival");
    assert.ok(arrivals.every((arrival) => arrival >= hourStart && arrival < hourStart + 3600));
    const ids = new Set(chunk.flights.map((flight) => flight.id));
    for (const bag of chunk.bags) {
      assert.ok(ids.has(bag.itinerary[0]!), `${bag.id} starts in hour ${chunk.hour}`);
      assert.ok(bag.firstArrival >= hourStart && bag.firstArrival < hourStart + 3600);
    }
  }
});

Deno.test("generateDataset() draws flights of 1 to 6 hours with FL_<uuid4> ids and airline-style numbers", () => {
  const flights = generate().flatMap((chunk) => chunk.flights);

  assert.equal(new Set(flights.map((flight) => flight.id)).size, flights.length);
  for (const flight of flights) {
    assert.match(flight.id, new RegExp(`^FL_${UUID4}$`));
    assert.match(flight.flightNumber, /^[A-Z0-9]{2}\d{4}$/);
    assert.ok(Number.isInteger(flight.departure_time) && Number.isInteger(flight.arrival_time));
    const duration = flight.arrival_time - flight.departure_time;
    assert.ok(duration >= 3600 && duration <= 6 * 3600, `${flight.id} flies ${duration} s`);
  }
});

Deno.test("generateDataset() gives every bag a feasible itinerary", () => {
  // Twelve hours: a window of a few hours leaves no room for three legs.
  const chunks = generate({ hours: 12, bagsPerHour: 2000 });
  const flights = flightsById(chunks);
  const bags = allBags(chunks);
  const lengths = [0, 0, 0, 0];

  assert.equal(new Set(bags.map((bag) => bag.id)).size, bags.length);
  for (const bag of bags) {
    assert.match(bag.id, new RegExp(`^BAG_${UUID4}$`));
    assert.ok(bag.itinerary.length >= 1 && bag.itinerary.length <= 3, `${bag.id} has ${bag.itinerary.length} flights`);
    lengths[bag.itinerary.length]! += 1;
    const legs = bag.itinerary.map((id) => flights.get(id)!);
    assert.ok(legs.every(Boolean), `${bag.id}'s flights all exist`);
    assert.equal(bag.firstArrival, legs[0]!.arrival_time);
    for (let index = 1; index < legs.length; index++) {
      const connection = legs[index]!.departure_time - legs[index - 1]!.arrival_time;
      assert.ok(connection >= 45 * 60 && connection <= 360 * 60, `${bag.id} connects in ${connection} s`);
    }
  }
  assert.ok(lengths[1]! > lengths[2]! && lengths[2]! > lengths[3]! && lengths[3]! > 0, `lengths ${lengths}`);
});

Deno.test("generateDataset() lists each bag on the manifest of every flight of its itinerary, and only there", () => {
  const chunks = generate();
  const itineraries = new Map(allBags(chunks).map((bag) => [bag.id, bag.itinerary]));
  const manifests = new Map(
    chunks.flatMap((chunk) => chunk.flights).map((flight) => [flight.id, new Set(flight.bags)]),
  );

  for (const [bag, itinerary] of itineraries) {
    for (const flight of itinerary) assert.ok(manifests.get(flight)!.has(bag), `${bag} on ${flight}`);
  }
  for (const [flight, bags] of manifests) {
    for (const bag of bags) assert.ok(itineraries.get(bag)!.includes(flight), `${flight} lists ${bag}`);
  }
  const entries = [...manifests.values()].reduce((sum, bags) => sum + bags.size, 0);
  assert.equal(entries, [...itineraries.values()].reduce((sum, itinerary) => sum + itinerary.length, 0));
});

Deno.test("bagMessage() sends the itinerary, except flights: [] for empty ones and nothing for missing ones", () => {
  const bags = allBags(generate({ lateRate: 0.1, missingRate: 0.1, emptyRate: 0.1 }));

  for (const bag of bags) {
    const message = bagMessage(bag);
    if (bag.kind === "missing") assert.equal(message, null);
    else if (bag.kind === "empty") assert.deepEqual(message, { id: bag.id, flights: [] });
    else assert.deepEqual(message, { id: bag.id, flights: bag.itinerary });
  }
  for (const kind of ["on_time", "late", "missing", "empty"]) {
    assert.ok(bags.some((bag) => bag.kind === kind), `some bag is ${kind}`);
  }
});

Deno.test("generateDataset() respects the late, missing and empty itinerary rates roughly", () => {
  const bags = allBags(generate({ hours: 2, flightsPerHour: 100, bagsPerHour: 50_000 }));
  const count = (kind: string) => bags.filter((bag) => bag.kind === kind).length;

  assert.equal(bags.length, 100_000);
  for (const [kind, expected] of [["late", 1000], ["missing", 500], ["empty", 200]] as const) {
    const actual = count(kind);
    assert.ok(Math.abs(actual - expected) <= expected * 0.25, `${kind}: ${actual} instead of about ${expected}`);
  }
});

Deno.test("generateDataset() gives identical data for the same seed and start, and other data otherwise", () => {
  const first = generate({ hours: 2 });

  assert.deepEqual(generate({ hours: 2 }), first);
  assert.notDeepEqual(generate({ hours: 2, seed: 43 }), first);
  assert.notDeepEqual(generate({ hours: 2, startSeconds: START + 60 }), first);
});

Deno.test("generateDataset() puts at most flightCapacity() bags on a flight, even where connections crowd", () => {
  // Few flights and many hours: the flights near the end of the window are the only possible connections.
  const chunks = generate({ hours: 12, flightsPerHour: 4, bagsPerHour: 400 });
  const capacity = flightCapacity(400, 4);

  assert.equal(capacity, 300);
  const loads = chunks.flatMap((chunk) => chunk.flights.map((flight) => flight.bags.length));
  assert.ok(Math.max(...loads) <= capacity, `largest manifest ${Math.max(...loads)}`);
  assert.equal(allBags(chunks).length, 12 * 400);
});

Deno.test("generateDataset() puts every later leg of a chunk's bags on flights of later chunks", () => {
  const chunks = generateDataset({ ...OPTIONS, hours: 3 });

  const first = chunks.next();
  assert.equal(first.done, false);
  assert.equal(first.value.hour, 0);
  const rest = [...chunks];
  const hour0 = new Set(first.value.bags.map((bag) => bag.id));
  const connecting = first.value.bags.reduce((sum, bag) => sum + bag.itinerary.length - 1, 0);
  const fromHour0 = rest.flatMap((chunk) => chunk.flights).reduce(
    (sum, flight) => sum + flight.bags.filter((bag) => hour0.has(bag)).length,
    0,
  );
  assert.equal(fromHour0, connecting);
});

Deno.test("scheduledFlights() gives generateDataset()'s flights without manifests, in the order it yields them, at once", () => {
  const chunks = generate();
  const flights = chunks.flatMap((chunk) => chunk.flights).map(({ bags: _, ...schedule }) => schedule);

  assert.equal(flights.length, 160);
  assert.deepEqual(scheduledFlights(OPTIONS), flights);
});

Deno.test("generateDataset() numbers the bags 0, 1, … across the hours in the order it yields them", () => {
  const bags = allBags(generate({ hours: 2, bagsPerHour: 100 }));

  assert.deepEqual(bags.map((bag) => bag.index), Array.from({ length: 200 }, (_, index) => index));
});
