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
      flightsPerHour: 600,
      bagsPerHour: 30_000,
      minConnectionMinutes: 45,
      maxConnectionMinutes: 360,
      lateRate: 0.01,
      missingRate: 0,
      emptyRate: 0,
    }, WINDOW);
    // The first hour's flights and bags are due before now, and the second hour's flights (a schedule sends an
    // hour's flights first); the first hour's late bags and the second hour's bags come later.
    await traffic.sendDue(Date.now());
    assert.equal(traffic.distinctFlights(), 1200);
    assert.ok(traffic.distinctBags() > 29_000 && traffic.distinctBags() < 30_500, `${traffic.distinctBags()} bags`);
    assert.ok(traffic.nextDueMs() > Date.now() - 1000 && traffic.nextDueMs() < Infinity);

    // The kinds in turn; a reroute or a moved departure needs a due flight with a bag connecting to a flight already
    // sent, which not every turn finds (it then skips its turn).
    const changes: Change[] = [];
    const turns: (string | undefined)[] = [];
    for (let turn = 0; turn < 40 && new Set(changes.map((change) => change.kind)).size < 4; turn++) {
      const change = await traffic.correct();
      turns.push(change?.kind);
      if (change) changes.push(change);
    }
    assert.deepEqual(turns.slice(0, 2), ["delay", "bag_added"]);
    const first = (kind: string) => changes.find((change) => change.kind === kind)!;
    const [delay, added, rerouted, moved] = ["delay", "bag_added", "rerouted", "next_departure_moved"].map(first) as [
      Change,
      Change,
      Change,
      Change,
    ];
    assert.ok(rerouted && moved, `turns: ${turns.join(", ")}`);
    // One flights message per correction but a reroute, which sends the bag alone.
    const flightCorrections = changes.filter((change) => change.kind !== "rerouted").length;
    const flights = await readTopic(kafka, topics.flights, 1200 + flightCorrections);
    const last = new Map<string, Flight>();
    for (const message of flights) last.set(message.key!, JSON.parse(message.value!));

    // Each correction is of a different due flight, at least a minute from landing.
    assert.equal(new Set(changes.map((change) => change.flight)).size, changes.length);
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
