/** The freshness stage's traffic: what it sends to the real Kafka, and the change each correction says to expect. */
import assert from "node:assert/strict";
import type { Flight } from "../../../lib/domain/flight.ts";
import { createProducer } from "../../../lib/infra/kafka.ts";
import { type Change, FreshnessTraffic } from "../../../tools/bench/freshness_traffic.ts";
import { createTopic, readTopic, testConfig, testKafka, uniqueName } from "../../_helpers/fixtures.ts";

const WINDOW = 600;

Deno.test("the freshness traffic sends the hour due now at once, then one correction of a due flight per kind in turn", async () => {
  const kafka = testKafka(testConfig("flight-consumer"));
  const topics = { flights: uniqueName("fresh-flights"), bags: uniqueName("fresh-bags") };
  for (const topic of Object.values(topics)) await createTopic(kafka, topic);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const now = Math.floor(Date.now() / 1000);
    const traffic = new FreshnessTraffic(producer, topics, {
      seed: 3,
      startSeconds: now,
      hours: 2,
      flightsPerHour: 120,
      bagsPerHour: 6000,
      minConnectionMinutes: 45,
      maxConnectionMinutes: 360,
      lateRate: 0.01,
      missingRate: 0,
      emptyRate: 0,
    }, WINDOW);
    // The first hour's flights and bags are due before now; its late bags and the second hour later.
    await traffic.sendDue(Date.now());
    assert.equal(traffic.distinctFlights(), 120);
    assert.ok(traffic.distinctBags() > 5800 && traffic.distinctBags() < 6000, `${traffic.distinctBags()} bags`);
    assert.ok(traffic.nextDueMs() > Date.now() - 1000 && traffic.nextDueMs() < Infinity);

    const changes = [];
    for (let i = 0; i < 4; i++) changes.push(await traffic.correct());
    assert.deepEqual(changes.map((change) => change?.kind), ["delay", "bag_added", "rerouted", "next_departure_moved"]);
    const flights = await readTopic(kafka, topics.flights, 120 + 3);
    const last = new Map<string, Flight>();
    for (const message of flights) last.set(message.key!, JSON.parse(message.value!));

    const [delay, added, rerouted, moved] = changes.map((change) => change!) as [
      Change,
      Change,
      Change,
      Change,
    ];
    // Each correction is of a different due flight, at least a minute from landing.
    assert.equal(new Set(changes.map((change) => change!.flight)).size, 4);
    const delayed = last.get(delay.flight)!;
    assert.ok(delay.shows({ ms: 0, bag: "x", arrival: delayed.arrival_time, departure: "1", revision: 2 }));
    assert.ok(!delay.shows({ ms: 0, bag: "x", arrival: delayed.arrival_time - 120, departure: "1", revision: 2 }));
    assert.ok(delayed.arrival_time - 120 >= now + 60 && delayed.arrival_time <= now + WINDOW);
    const newBag = last.get(added.flight)!.bags.at(-1)!;
    assert.match(newBag, /^BAG_bench-fresh-\d+$/);
    assert.ok(added.shows({ ms: 0, bag: newBag, arrival: 0, departure: "0", revision: 2 }));
    assert.ok(rerouted.shows({ ms: 0, bag: rerouted.bag!, arrival: 0, departure: "0", revision: 2 }));
    assert.ok(!rerouted.shows({ ms: 0, bag: rerouted.bag!, arrival: 0, departure: "-1", revision: 2 }));
    // The moved flight is the connecting one, its departure 5 minutes later.
    const movedFlight = [...last.values()].find((flight) =>
      moved.shows({
        ms: 0,
        bag: moved.bag!,
        arrival: 0,
        departure: String(flight.departure_time),
        revision: 2,
      })
    );
    assert.ok(movedFlight, "a flights message carries the moved departure");
  } finally {
    await producer.disconnect();
  }
});
