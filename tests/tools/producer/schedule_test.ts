import assert from "node:assert/strict";
import {
  type DatasetChunk,
  type DatasetOptions,
  flightMessage,
  generateDataset,
} from "../../../tools/producer/dataset.ts";
import { bsmEncoding } from "../../../tools/producer/bsm_dataset.ts";
import { tagNumber } from "../../../tools/producer/real_ids.ts";
import {
  LATE_BATCH_SECONDS,
  scheduleBsmSends,
  type ScheduledSend,
  scheduleSends,
} from "../../../tools/producer/schedule.ts";

const START = 1_900_000_000;
const OPTIONS: DatasetOptions = {
  seed: 3,
  startSeconds: START,
  hours: 3,
  flightsPerHour: 30,
  bagsPerHour: 3000,
  minConnectionMinutes: 45,
  maxConnectionMinutes: 360,
  lateRate: 0.05,
  missingRate: 0.05,
  emptyRate: 0.05,
};
const PER_SEND = 100;

function plan(): { chunks: DatasetChunk[]; sends: ScheduledSend[] } {
  const chunks = [...generateDataset(OPTIONS)];
  return { chunks, sends: [...scheduleSends(chunks, START, PER_SEND)] };
}

/** The index of the send that carries each message, by topic and id. */
function sendIndex(sends: ScheduledSend[]): Map<string, number> {
  const index = new Map<string, number>();
  sends.forEach((send, position) => {
    for (const record of send.records) index.set(`${send.topic}:${record.id}`, position);
  });
  return index;
}

Deno.test("scheduleSends() sends every flight and every bag but the missing ones exactly once, at most maxPerSend a send", () => {
  const { chunks, sends } = plan();
  const count = (topic: string, id: string) =>
    sends.filter((send) => send.topic === topic && send.records.some((record) => record.id === id)).length;

  assert.ok(sends.every((send) => send.records.length >= 1 && send.records.length <= PER_SEND));
  for (const flight of chunks.flatMap((chunk) => chunk.flights)) {
    assert.equal(count("flights", flight.id), 1);
    const sent = sends.flatMap((send) => send.topic === "flights" ? send.records : []).find((f) => f.id === flight.id);
    assert.deepEqual(sent, flightMessage(flight));
  }
  const bags = chunks.flatMap((chunk) => chunk.bags);
  for (const bag of bags) assert.equal(count("bags", bag.id), bag.kind === "missing" ? 0 : 1, bag.kind);
  const sentBags = sends.flatMap((send) => send.topic === "bags" ? send.records : []);
  assert.equal(sentBags.length, bags.filter((bag) => bag.kind !== "missing").length);
  assert.deepEqual(Object.keys(sentBags[0]!), ["id", "flights"]);
});

Deno.test("scheduleSends() spreads chunk h evenly over the hour before its arrival hour, flights first", () => {
  const { chunks, sends } = plan();
  const late = new Set(chunks.flatMap((chunk) => chunk.bags).filter((bag) => bag.kind === "late").map((bag) => bag.id));
  const regular = sends.filter((send) => !(send.topic === "bags" && late.has(send.records[0]!.id)));

  for (const chunk of chunks) {
    const own = regular.filter((send) => send.hour === chunk.hour);
    const windowStart = START + (chunk.hour - 1) * 3600;
    assert.deepEqual(own.map((send) => send.due), own.map((_, index) => windowStart + (3600 * index) / own.length));
    assert.deepEqual(own.map((send) => send.topic), own.map((_, index) => index === 0 ? "flights" : "bags"));
    const landing = Math.min(...chunk.flights.map((flight) => flight.arrival_time));
    assert.ok(own.every((send) => send.due < landing), `chunk ${chunk.hour} is sent before its first flight lands`);
  }
  const dues = sends.map((send) => send.due);
  assert.deepEqual(dues, [...dues].sort((a, b) => a - b), "sends in due order");
});

Deno.test("scheduleSends() sends a late bag 5 minutes before its first flight arrives, after that flight's message", () => {
  const { chunks, sends } = plan();
  const index = sendIndex(sends);
  const lateBags = chunks.flatMap((chunk) => chunk.bags).filter((bag) => bag.kind === "late");

  assert.ok(lateBags.length > 100);
  for (const bag of lateBags) {
    const position = index.get(`bags:${bag.id}`)!;
    const lateBy = sends[position]!.due - (bag.firstArrival - 300);
    assert.ok(lateBy >= 0 && lateBy <= LATE_BATCH_SECONDS, `${bag.id} sent ${lateBy} s after arrival - 300`);
    assert.ok(position > index.get(`flights:${bag.itinerary[0]}`)!, `${bag.id} after its first flight`);
  }
});

Deno.test("scheduleSends() sends a connecting bag before the later flights of its itinerary exist", () => {
  const { chunks, sends } = plan();
  const index = sendIndex(sends);
  const connecting = chunks.flatMap((chunk) => chunk.bags).filter((bag) =>
    bag.kind === "on_time" && bag.itinerary.length > 1
  );

  assert.ok(connecting.length > 100);
  for (const bag of connecting) {
    const bagAt = index.get(`bags:${bag.id}`)!;
    assert.ok(bagAt > index.get(`flights:${bag.itinerary[0]}`)!);
    for (const later of bag.itinerary.slice(1)) {
      assert.ok(bagAt < index.get(`flights:${later}`)!, `${bag.id} before ${later}`);
    }
  }
});

Deno.test("scheduleBsmSends() sends every flight as its schedule and every on-time and late bag as its BSM, once, in due order", () => {
  const { chunks } = plan();
  const encoding = bsmEncoding(OPTIONS);
  const sends = [...scheduleBsmSends(chunks, START, encoding, PER_SEND)];
  const bags = chunks.flatMap((chunk) => chunk.bags);

  assert.ok(sends.every((send) => send.records.length >= 1 && send.records.length <= PER_SEND));
  assert.deepEqual(
    sends.flatMap((send) => send.topic === "flights" ? send.records : []),
    chunks.flatMap((chunk) => chunk.flights).map(encoding.flight),
  );
  const sent = sends.flatMap((send) =>
    send.topic === "baggageMessages" ? send.records.map((record) => ({ record, due: send.due })) : []
  );
  const byTag = new Map(sent.map((entry) => [entry.record.tag, entry]));
  const sendable = bags.filter((bag) => bag.kind === "on_time" || bag.kind === "late");
  assert.equal(sent.length, sendable.length);
  assert.equal(byTag.size, sendable.length);
  for (const bag of sendable) {
    const entry = byTag.get(tagNumber(bag.index))!;
    assert.deepEqual(entry.record, encoding.bag(bag));
    if (bag.kind !== "late") continue;
    const lateBy = entry.due - (bag.firstArrival - 300);
    assert.ok(lateBy >= 0 && lateBy <= LATE_BATCH_SECONDS, `${bag.id} sent ${lateBy} s after arrival - 300`);
  }
  assert.ok(bags.some((bag) => bag.kind === "empty") && bags.some((bag) => bag.kind === "late"));
  const dues = sends.map((send) => send.due);
  assert.deepEqual(dues, [...dues].sort((a, b) => a - b), "sends in due order");
});
