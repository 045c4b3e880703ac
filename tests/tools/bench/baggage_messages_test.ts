/** The baggage-messages stage of the bench: the BSMs it produces, its rows and its targets. */
import assert from "node:assert/strict";
import type { BaggageMessagesStage } from "../../../tools/bench/baggage_messages.ts";
import { produceBaggageMessages } from "../../../tools/bench/baggage_messages.ts";
import { baggageMessagesRows, baggageMessagesTargets } from "../../../tools/bench/baggage_messages_report.ts";
import { bsmEncoding } from "../../../tools/producer/bsm_dataset.ts";
import { type DatasetOptions, generateDataset } from "../../../tools/producer/dataset.ts";
import { createTopic, readTopic, testConfig, testKafka, uniqueName } from "../../_helpers/fixtures.ts";

const DATASET: DatasetOptions = {
  seed: 7,
  startSeconds: Math.floor(Date.now() / 1000) + 600,
  hours: 3,
  flightsPerHour: 2,
  bagsPerHour: 200,
  minConnectionMinutes: 45,
  maxConnectionMinutes: 360,
  lateRate: 0.05,
  missingRate: 0.05,
  emptyRate: 0.05,
};

Deno.test("produceBaggageMessages() sends one BSM keyed by tag per bag the JSON path sends, less the empty ones", async () => {
  const bags = [...generateDataset(DATASET)].flatMap((chunk) => chunk.bags);
  const encoding = bsmEncoding(DATASET);
  const expected = bags.flatMap((bag) => {
    const message = encoding.bag(bag);
    return message === null ? [] : [`${message.tag} ${message.text}`];
  });
  const empty = bags.filter((bag) => bag.kind === "empty").length;
  const missing = bags.filter((bag) => bag.kind === "missing").length;
  assert.ok(empty > 0 && missing > 0 && bags.some((bag) => bag.kind === "late"));
  assert.equal(expected.length, bags.length - empty - missing);

  const kafka = testKafka(testConfig("baggage-messages"));
  const topic = uniqueName("bench-bsm");
  await createTopic(kafka, topic);
  const produced = await produceBaggageMessages(kafka, topic, DATASET);
  assert.equal(produced.sent, expected.length);
  assert.equal(produced.empty, empty);
  const read = await readTopic(kafka, topic, expected.length);
  assert.deepEqual(read.map((message) => `${message.key} ${message.value}`).sort(), expected.sort());
});

const stage = (perSecond: number, json: number): BaggageMessagesStage => ({
  units: perSecond * 2,
  seconds: 2,
  perSecond,
  wallSeconds: 3,
  steady: true,
  messages: 200_000,
  cpuMicrosecondsPerMessage: { total: 20 },
  processes: [
    { name: "baggage-messages-1", processed: 150_000, perSecond: perSecond / 2, peakRssBytes: 1 },
    { name: "baggage-messages-2", processed: 50_000, perSecond: undefined, peakRssBytes: 1 },
  ],
  ceiling: { name: "JSON bag consumption", perSecond: json },
  produced: { sent: 200_000, empty: 400, seconds: 4.25 },
  redisBytesPerBag: 321.04,
});

Deno.test("baggageMessagesTargets(): at least 50,000 BSMs/s and 0.70 of the JSON bag consumption", () => {
  const met = (perSecond: number, json: number) => baggageMessagesTargets(stage(perSecond, json)).map((t) => t.met);
  assert.deepEqual(baggageMessagesTargets(stage(50_000, 60_000)), [
    { name: "baggage messages", goal: ">= 50,000 BSMs/s", met: true },
    { name: "baggage messages vs JSON bag consumption", goal: ">= 0.70", met: true },
  ]);
  assert.deepEqual(met(49_999, 60_000), [false, true]);
  assert.deepEqual(met(70_000, 100_000), [true, true]);
  assert.deepEqual(met(69_999, 100_000), [true, false]);
});

Deno.test("baggageMessagesRows(): each process's rate, the BSMs sent and Redis per BSM", () => {
  assert.deepEqual(baggageMessagesRows(stage(60_000, 100_000)), [
    ["  baggage-messages-1", "30,000 BSMs/s", "", ""],
    ["  baggage-messages-2", "50,000 BSMs (rate not measured: consumed before the others joined)", "", ""],
    ["  BSMs sent", "200,000", "the JSON path's bags less 400 empty ones; produced in 4.3 s", ""],
    ["  Redis per BSM (its bag, manifest entries, flights)", "321.0 B", "", ""],
  ]);
});
