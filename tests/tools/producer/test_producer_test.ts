import assert from "node:assert/strict";
import type { Config } from "../../../lib/infra/config.ts";
import { loadProducerSettings } from "../../../tools/producer/config.ts";
import { bsmEncoding } from "../../../tools/producer/bsm_dataset.ts";
import { bagMessage, flightMessage, generateDataset } from "../../../tools/producer/dataset.ts";
import { systemClock } from "../../../tools/producer/publisher.ts";
import { tagNumber } from "../../../tools/producer/real_ids.ts";
import { scheduleBsmSends, scheduleSends } from "../../../tools/producer/schedule.ts";
import { startTestProducer } from "../../../tools/producer/test_producer.ts";
import { testContext } from "../../_helpers/context.ts";
import {
  metricValue,
  type ReadMessage,
  readTopic,
  testConfig,
  testKafka,
  uniqueName,
} from "../../_helpers/fixtures.ts";

function settingsFor(config: Config, env: Record<string, string>) {
  return loadProducerSettings(config.limits.maxBagsPerFlight, {
    PRODUCER_FLIGHTS_PER_HOUR: "10",
    PRODUCER_BAGS_PER_HOUR: "1000",
    PRODUCER_HOURS: "2",
    PRODUCER_SEED: "7",
    PRODUCER_LATE_ITINERARY_RATE: "0.05",
    PRODUCER_MISSING_ITINERARY_RATE: "0.05",
    PRODUCER_EMPTY_ITINERARY_RATE: "0.05",
    ...env,
  });
}

const KINDS = [78, 16, 15, 11];

/** Each message's value by key, checking that no key came twice and no message has headers. */
function byKey(messages: ReadMessage[]): Map<string, string> {
  const values = new Map(messages.map((message) => [message.key!, message.value!]));
  assert.equal(values.size, messages.length, "every key once");
  assert.ok(messages.every((message) => Object.keys(message.headers).length === 0), "no headers");
  return values;
}

Deno.test("startTestProducer() publishes exactly the generated flights and bags to both topics, with exact metrics", async () => {
  const config = testConfig("producer");
  const context = await testContext(config);
  const kafka = testKafka(config);
  const settings = settingsFor(config, { PRODUCER_PACE: "max" });
  const producer = await startTestProducer(context, { settings });
  try {
    const report = await producer.finished;

    const chunks = [...generateDataset({ ...settings, startSeconds: producer.startSeconds })];
    const flights = chunks.flatMap((chunk) => chunk.flights).map(flightMessage);
    const bags = chunks.flatMap((chunk) => chunk.bags).flatMap((bag) => bagMessage(bag) ?? []);
    assert.equal(flights.length, 20);
    assert.ok(bags.length > 1800 && bags.length < 2000, `${bags.length} bag messages`);
    assert.ok(bags.some((bag) => bag.flights.length === 0), "some empty itineraries");
    const sends = [...scheduleSends(chunks, producer.startSeconds)].length;
    assert.deepEqual(report, { flights: 20, bags: bags.length, sends, completed: true });

    const flightValues = byKey(await readTopic(kafka, config.topics.flights, flights.length));
    assert.deepEqual(flightValues, new Map(flights.map((flight) => [flight.id, JSON.stringify(flight)])));
    const bagValues = byKey(await readTopic(kafka, config.topics.bags, bags.length));
    assert.deepEqual(bagValues, new Map(bags.map((bag) => [bag.id, JSON.stringify(bag)])));

    const { registry } = context;
    assert.equal(await metricValue(registry, "produced_test_flights_total"), 20);
    assert.equal(await metricValue(registry, "produced_test_bags_total"), bags.length);
    assert.equal(await metricValue(registry, "produced_messages_total", { topic: config.topics.flights }), 20);
    assert.equal(await metricValue(registry, "produced_messages_total", { topic: config.topics.bags }), bags.length);
    assert.equal(await metricValue(registry, "producer_send_errors_total", { topic: config.topics.bags }), 0);
    const latest = Math.max(...flights.map((flight) => flight.arrival_time));
    assert.equal(await metricValue(registry, "latest_produced_flight_arrival_timestamp"), latest);
  } finally {
    await producer.close();
    await producer.close();
    await context.closeContext();
  }
});

Deno.test("startTestProducer() in realistic pace sends nothing before it is due, and close() stops it at once", async () => {
  const config = testConfig("producer");
  const context = await testContext(config);
  const kafka = testKafka(config);
  // The window starts in 2 hours, so chunk 0 is due in 1 hour: nothing is due yet.
  const settings = settingsFor(config, { PRODUCER_PACE: "realistic", PRODUCER_START_OFFSET_SECONDS: "7200" });
  const producer = await startTestProducer(context, { settings });
  try {
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics().finally(() => admin.disconnect());
    assert.ok(topics.includes(config.topics.flights) && topics.includes(config.topics.bags), "topics created");

    const closedAt = Date.now();
    await Promise.all([producer.close(), producer.close()]);
    assert.ok(Date.now() - closedAt < 2000, `close() took ${Date.now() - closedAt} ms`);

    assert.deepEqual(await producer.finished, { flights: 0, bags: 0, sends: 0, completed: false });
    assert.deepEqual(await readTopic(kafka, config.topics.flights, 0), []);
    assert.equal(await metricValue(context.registry, "produced_messages_total", { topic: config.topics.flights }), 0);
    assert.equal(await metricValue(context.registry, "produced_test_bags_total"), 0);
  } finally {
    await producer.close();
    await context.closeContext();
  }
});

Deno.test("startTestProducer() with PRODUCER_FORMAT=bsm publishes schedules under real ids to flights and one BSM a bag, keyed by tag, to the baggage-messages topic", async () => {
  const config = testConfig("producer", { BAGGAGE_MESSAGES_TOPIC: uniqueName("baggage-messages") });
  const context = await testContext(config);
  const kafka = testKafka(config);
  const settings = settingsFor(config, {
    PRODUCER_FORMAT: "bsm",
    PRODUCER_PACE: "max",
    PRODUCER_FLIGHTS_PER_HOUR: "5",
    PRODUCER_BAGS_PER_HOUR: "40",
    PRODUCER_HOURS: "3",
    PRODUCER_START_OFFSET_SECONDS: "0",
    PRODUCER_LATE_ITINERARY_RATE: "0.1",
    PRODUCER_MISSING_ITINERARY_RATE: "0.1",
    PRODUCER_EMPTY_ITINERARY_RATE: "0.1",
  });
  // A fixed start, so that the data is always the same: arrivals from 01:00 to 04:00 UTC, departures on two days.
  const start = Date.UTC(2026, 11, 3, 1) / 1000;
  const producer = await startTestProducer(context, { settings, clock: { ...systemClock, now: () => start * 1000 } });
  try {
    const report = await producer.finished;

    assert.equal(producer.startSeconds, start);
    const dataset = { ...settings, startSeconds: start };
    const chunks = [...generateDataset(dataset)];
    const encoding = bsmEncoding(dataset);
    const flights = chunks.flatMap((chunk) => chunk.flights).map(encoding.flight);
    const bags = chunks.flatMap((chunk) => chunk.bags);
    const messages = bags.flatMap((bag) => encoding.bag(bag) ?? []);
    const kinds = (kind: string) => bags.filter((bag) => bag.kind === kind).length;
    assert.deepEqual([kinds("on_time"), kinds("late"), kinds("missing"), kinds("empty")], KINDS);
    assert.equal(messages.length, kinds("on_time") + kinds("late"));
    const sends = [...scheduleBsmSends(chunks, start, encoding)].length;
    assert.deepEqual(report, { flights: 15, bags: messages.length, sends, completed: true });

    const flightValues = byKey(await readTopic(kafka, config.topics.flights, 15));
    assert.deepEqual(flightValues, new Map(flights.map((flight) => [flight.id, JSON.stringify(flight)])));
    for (const [id, value] of flightValues) {
      assert.match(id, /^[A-Z0-9]{2}\d{4}-2026-12-0[23]$/);
      assert.deepEqual(Object.keys(JSON.parse(value)), ["id", "departure_time", "arrival_time"]);
    }
    const dates = [...flightValues.keys()].map((id) => id.slice(7));
    assert.deepEqual([dates.filter((date) => date === "2026-12-02").length, dates.length], [8, 15]);
    assert.equal(
      flightValues.get("2I0004-2026-12-02"),
      '{"id":"2I0004-2026-12-02","departure_time":1796243805,"arrival_time":1796263942}',
    );

    const bsmValues = byKey(await readTopic(kafka, config.topics.baggageMessages, messages.length));
    assert.deepEqual(bsmValues, new Map(messages.map((message) => [message.tag, message.text])));
    // The first six bags: on time, empty (no BSM), on time with a connection, on time, missing, on time.
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((index) => bsmValues.get(tagNumber(index)) ?? null), [
      "BSM\n.V/1XLHR\n.I/FA0003/02DEC/ZRH/Y\n.N/0125000000001\n.P/KESSLER/KERRY\nENDBSM",
      null,
      "BSM\n.V/1TLHR\n.I/MS0031/02DEC/ZRH/Y\n.F/WS5669/03DEC/YYZ/Y\n.N/0125000002001\n.P/GREEN/HORACE\nENDBSM",
      "BSM\n.V/1XLHR\n.I/2I2261/02DEC/ZRH/Y\n.N/0125000003001\n.P/MILLS/JONAS\nENDBSM",
      null,
      "BSM\n.V/1XLHR\n.I/FA0003/02DEC/ZRH/Y\n.N/0125000005001\n.P/HINTZ/ROSALIA\nENDBSM",
    ]);

    const { registry } = context;
    assert.equal(await metricValue(registry, "produced_test_flights_total"), 15);
    assert.equal(await metricValue(registry, "produced_test_bags_total"), messages.length);
    assert.equal(await metricValue(registry, "produced_messages_total", { topic: config.topics.flights }), 15);
    const topic = config.topics.baggageMessages;
    assert.equal(await metricValue(registry, "produced_messages_total", { topic }), messages.length);
    assert.equal(await metricValue(registry, "produced_messages_total", { topic: config.topics.bags }), 0);
    assert.equal(await metricValue(registry, "producer_send_errors_total", { topic }), 0);
  } finally {
    await producer.close();
    await context.closeContext();
  }
});
