import assert from "node:assert/strict";
import type { Config } from "../../../lib/infra/config.ts";
import { loadProducerSettings } from "../../../tools/producer/config.ts";
import { bagMessage, flightMessage, generateDataset } from "../../../tools/producer/dataset.ts";
import { scheduleSends } from "../../../tools/producer/schedule.ts";
import { startTestProducer } from "../../../tools/producer/test_producer.ts";
import { testContext } from "../../_helpers/context.ts";
import { metricValue, type ReadMessage, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";

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
