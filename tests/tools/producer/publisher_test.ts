import assert from "node:assert/strict";
import type { ProducerRecord, RecordMetadata } from "kafkajs";
import { Registry } from "prom-client";
import { createLogger } from "../../../lib/infra/log.ts";
import { createProducerMetrics } from "../../../tools/producer/metrics.ts";
import { type Clock, Publisher } from "../../../tools/producer/publisher.ts";
import type { ScheduledBsmSend, ScheduledSend } from "../../../tools/producer/schedule.ts";
import { metricValue } from "../../_helpers/fixtures.ts";

const T = 1_900_000_000;
const TOPICS = { flights: "flights-topic", bags: "bags-topic", baggageMessages: "bsm-topic" };

/** A clock whose sleep jumps the time forward at once. */
class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public ms: number) {}
  now() {
    return this.ms;
  }
  sleep(ms: number) {
    this.sleeps.push(ms);
    this.ms += ms;
    return Promise.resolve();
  }
}

/** Records each send with the fake time it happened at; `fail(n)` makes the n-th call throw. */
function fakeProducer(clock: FakeClock, onSend: (call: number) => void = () => {}) {
  const sent: { at: number; record: ProducerRecord }[] = [];
  let calls = 0;
  return {
    sent,
    send: (record: ProducerRecord): Promise<RecordMetadata[]> => {
      calls += 1;
      try {
        onSend(calls);
      } catch (error) {
        return Promise.reject(error);
      }
      sent.push({ at: clock.now() / 1000, record });
      return Promise.resolve([]);
    },
  };
}

const flight = (id: string, arrival: number) => ({
  id,
  departure_time: arrival - 3600,
  arrival_time: arrival,
  bags: ["BAG_1"],
});
const SENDS: ScheduledSend[] = [
  { due: T - 100, hour: 0, topic: "flights", records: [flight("FL_A", T + 500), flight("FL_B", T + 900)] },
  { due: T - 50, hour: 0, topic: "bags", records: [{ id: "BAG_1", flights: ["FL_A", "FL_B"] }] },
  { due: T + 30, hour: 1, topic: "flights", records: [flight("FL_C", T + 4000)] },
  { due: T + 90, hour: 1, topic: "bags", records: [{ id: "BAG_2", flights: [] }, { id: "BAG_3", flights: ["FL_C"] }] },
];

function setup(pace: "realistic" | "max", onSend?: (call: number) => void) {
  const clock = new FakeClock(T * 1000);
  const producer = fakeProducer(clock, onSend);
  const registry = new Registry();
  const metrics = createProducerMetrics(registry, [TOPICS.flights, TOPICS.bags]);
  const logger = createLogger("test", "silent");
  const publisher = new Publisher({ producer, topics: TOPICS, metrics, logger, pace, clock });
  return { clock, producer, registry, publisher };
}

Deno.test("Publisher.publish() in realistic pace sends what is due at once and the rest at its due time", async () => {
  const { clock, producer, registry, publisher } = setup("realistic");

  const report = await publisher.publish(SENDS, new AbortController().signal);

  assert.deepEqual(report, { flights: 3, bags: 3, sends: 4, completed: true });
  assert.deepEqual(producer.sent.map((send) => send.at), [T, T, T + 30, T + 90]);
  assert.deepEqual(clock.sleeps, [30_000, 60_000]);
  assert.deepEqual(producer.sent[3]!.record, {
    topic: TOPICS.bags,
    acks: -1,
    messages: [
      { key: "BAG_2", value: '{"id":"BAG_2","flights":[]}' },
      { key: "BAG_3", value: '{"id":"BAG_3","flights":["FL_C"]}' },
    ],
  });
  assert.deepEqual(producer.sent[2]!.record.messages, [
    { key: "FL_C", value: `{"id":"FL_C","departure_time":${T + 400},"arrival_time":${T + 4000},"bags":["BAG_1"]}` },
  ]);
  assert.equal(await metricValue(registry, "produced_test_flights_total"), 3);
  assert.equal(await metricValue(registry, "produced_test_bags_total"), 3);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.flights }), 3);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.bags }), 3);
  assert.equal(await metricValue(registry, "latest_produced_flight_arrival_timestamp"), T + 4000);
});

Deno.test("Publisher.publish() in max pace never waits", async () => {
  const { clock, producer, publisher } = setup("max");

  const report = await publisher.publish(SENDS, new AbortController().signal);

  assert.equal(report.completed, true);
  assert.deepEqual(producer.sent.map((send) => send.at), [T, T, T, T]);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("Publisher.publish() retries a failed send after a backoff and counts the error", async () => {
  const { clock, producer, registry, publisher } = setup("max", (call) => {
    if (call === 2) throw new Error("broker unavailable");
  });

  const report = await publisher.publish(SENDS, new AbortController().signal);

  assert.deepEqual(report, { flights: 3, bags: 3, sends: 4, completed: true });
  assert.deepEqual(producer.sent.map((send) => send.record.messages[0]!.key), ["FL_A", "BAG_1", "FL_C", "BAG_2"]);
  assert.equal(clock.sleeps.length, 1);
  assert.ok(clock.sleeps[0]! >= 100 && clock.sleeps[0]! <= 120, `backoff ${clock.sleeps[0]} ms`);
  assert.equal(await metricValue(registry, "producer_send_errors_total", { topic: TOPICS.bags }), 1);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.bags }), 3);
});

Deno.test("Publisher.publish() stops after the send in hand once aborted", async () => {
  const stop = new AbortController();
  const { producer, registry, publisher } = setup("max", (call) => {
    if (call === 2) stop.abort();
  });

  const report = await publisher.publish(SENDS, stop.signal);

  assert.deepEqual(report, { flights: 2, bags: 1, sends: 2, completed: false });
  assert.equal(producer.sent.length, 2);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.flights }), 2);
});

Deno.test("Publisher.publish() gives up a failing send once aborted, without counting it", async () => {
  const stop = new AbortController();
  const { producer, registry, publisher } = setup("max", (call) => {
    if (call === 1) {
      stop.abort();
      throw new Error("broker unavailable");
    }
  });

  const report = await publisher.publish(SENDS, stop.signal);

  assert.deepEqual(report, { flights: 0, bags: 0, sends: 0, completed: false });
  assert.equal(producer.sent.length, 0);
  assert.equal(await metricValue(registry, "producer_send_errors_total", { topic: TOPICS.flights }), 1);
  assert.equal(await metricValue(registry, "produced_test_flights_total"), 0);
});

Deno.test("Publisher.publish() sends BSMs to the baggage-messages topic keyed by tag, the text as value, counted as bags", async () => {
  const { producer, registry, publisher } = setup("max");
  const bsm = "BSM\n.V/1XLHR\n.I/BA0282/05FEB/JFK/Y\n.N/0125000000001\n.P/SMITH/JOHN\nENDBSM";
  const sends: ScheduledBsmSend[] = [
    {
      due: T,
      hour: 0,
      topic: "flights",
      records: [{ id: "BA0282-2026-02-05", departure_time: T, arrival_time: T + 900 }],
    },
    { due: T, hour: 0, topic: "baggageMessages", records: [{ tag: "0125000000", text: bsm }] },
  ];

  const report = await publisher.publish(sends, new AbortController().signal);

  assert.deepEqual(report, { flights: 1, bags: 1, sends: 2, completed: true });
  assert.deepEqual(producer.sent.map((send) => send.record), [
    {
      topic: TOPICS.flights,
      acks: -1,
      messages: [{
        key: "BA0282-2026-02-05",
        value: `{"id":"BA0282-2026-02-05","departure_time":${T},"arrival_time":${T + 900}}`,
      }],
    },
    { topic: TOPICS.baggageMessages, acks: -1, messages: [{ key: "0125000000", value: bsm }] },
  ]);
  assert.equal(await metricValue(registry, "produced_test_bags_total"), 1);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.baggageMessages }), 1);
  assert.equal(await metricValue(registry, "produced_messages_total", { topic: TOPICS.bags }), 0);
  assert.equal(await metricValue(registry, "latest_produced_flight_arrival_timestamp"), T + 900);
});

Deno.test("Publisher.publish() refuses BSM sends when it was given no baggage-messages topic", async () => {
  const clock = new FakeClock(T * 1000);
  const metrics = createProducerMetrics(new Registry(), [TOPICS.flights, TOPICS.bags]);
  const logger = createLogger("test", "silent");
  const producer = fakeProducer(clock);
  const topics = { flights: TOPICS.flights, bags: TOPICS.bags };
  const publisher = new Publisher({ producer, topics, metrics, logger, pace: "max", clock });
  const send: ScheduledBsmSend = {
    due: T,
    hour: 0,
    topic: "baggageMessages",
    records: [{ tag: "0125000000", text: "BSM" }],
  };

  await assert.rejects(
    publisher.publish([send], new AbortController().signal),
    new Error("Publisher: no topic given for baggageMessages sends"),
  );
  assert.equal(producer.sent.length, 0);
});
