/**
 * 10,000 mutated baggage messages (truncated, reordered, duplicated or missing lines, binary, oversized, wrong
 * dates, bad tags) through the real Kafka into a baggage-messages worker process: it stays up, every message is
 * either applied or dead-lettered with a line number, and Redis stays consistent.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { MONTHS } from "../../lib/baggage_messages/flight_date.ts";
import { baggageRecord } from "../../lib/ingest/baggage_records.ts";
import { InvalidMessage } from "../../lib/infra/errors.ts";
import { freshRedis, isolatedEnvironment, produce, readTopic, testKafka } from "../_helpers/fixtures.ts";
import { startWorker } from "../_helpers/processes.ts";
import { appliedMessages } from "../_helpers/redis_state.ts";

const COUNT = 10_000;
const MAX_MESSAGE_BYTES = 2_000;
const NOW = Math.floor(Date.now() / 1000);
const today = new Date(NOW * 1000);
const DDMMM = `${String(today.getUTCDate()).padStart(2, "0")}${MONTHS[today.getUTCMonth()]}`;

/** A seeded generator (mulberry32): the same messages every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(1745);
const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
const tag = () => String(125_000_000 + Math.floor(next() * 400)).padStart(10, "0");
const flightOf = (name: string) => `.${name}/${pick(["BA0117", "BA0282", "AA0123", "LH0400"])}/${DDMMM}/JFK/Y`;

/** A valid message of each kind, its tags among 400 so that changes and deletions often find their bag. */
const BASES: (() => string[])[] = [
  () => ["BSM", ".V/1TLHR", flightOf("I"), flightOf("F"), `.N/${tag()}001`, ".P/SMITH/JOHN", "ENDBSM"],
  () => ["BSM", ".V/1XLHR", flightOf("I"), `.N/${tag()}002`, ".E/RUSH", "ENDBSM"],
  () => ["BSM", ".V/1LLHR", flightOf("F"), flightOf("O"), `.N/${tag()}001`, ".W/K/1/23", "ENDBSM"],
  () => ["BTM", ".V/1TLHR", flightOf("I"), flightOf("F"), `.N/${tag()}001`, `.N/${tag()}001`, "ENDBTM"],
  () => ["BSM", "CHG", ".V/1LLHR", flightOf("F"), `.N/${tag()}001`, "ENDBSM"],
  () => ["BSM", "DEL", ".V/1LLHR", `.N/${tag()}001`, "ENDBSM"],
  () => ["BPM", ".V/1TLHR", `.J/P/AGENT/MU12/${DDMMM}/1030Z`, flightOf("F"), `.N/${tag()}001`, "ENDBPM"],
  () => ["BUM", ".V/1XLHR", flightOf("I"), `.N/${tag()}001`, "ENDBUM"],
];

const encoder = new TextEncoder();

/** One mutation of `lines`, as the bytes sent. */
function mutate(lines: string[]): Uint8Array {
  const at = () => Math.floor(next() * lines.length);
  switch (Math.floor(next() * 11)) {
    case 0: // as is
      break;
    case 1: { // truncated
      const text = lines.join("\n");
      return encoder.encode(text.slice(0, Math.floor(next() * text.length)));
    }
    case 2: { // two lines swapped
      const [a, b] = [at(), at()];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      break;
    }
    case 3: // a line twice
      lines.splice(at(), 0, lines[at()]!);
      break;
    case 4: // a line missing
      lines.splice(at(), 1);
      break;
    case 5: { // binary inside
      const text = encoder.encode(lines.join("\n"));
      const position = Math.floor(next() * text.length);
      const noise = Uint8Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * 256));
      return new Uint8Array([...text.subarray(0, position), ...noise, ...text.subarray(position)]);
    }
    case 6: // oversized, yet well formed
      lines.splice(lines.length - 1, 0, ...Array.from({ length: 60 }, () => ".O/AA0123/" + DDMMM + "/SFO/Y"));
      break;
    case 7: // a wrong date
      return encoder.encode(lines.join("\n").replaceAll(DDMMM, pick(["31FEB", "00JAN", "32DEC", "15XYZ", "5MAR"])));
    case 8: // a letter in a tag
      return encoder.encode(lines.join("\n").replace(/\.N\/(\d{4})\d/, ".N/$1Z"));
    case 9: // CRLF and blanks: still valid
      return encoder.encode(`\r\n ${lines.join(" \r\n\t")}\r\n`);
    case 10: // an element letter changed: unknown, or a wrong element
      lines[at()] = lines[at()]!.replace(/^\.[A-Z]/, `.${pick(["Q", "Z", "F", "N", "V"])}`);
      break;
  }
  return encoder.encode(lines.join("\n"));
}

Deno.test("a baggage-messages worker fed 10,000 mutated messages stays up: each is applied or dead-lettered with its line", async () => {
  const env = isolatedEnvironment("baggage-messages", { MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  const config = loadConfig("baggage-messages", env);
  const redis = await freshRedis(config);
  const worker = startWorker("workers/baggage_messages.ts", env);
  try {
    const messages = Array.from({ length: COUNT }, () => mutate(pick(BASES)()));
    const keys = messages.map((_, index) => `m${index}`);
    const kafka = testKafka(config);
    const topic = config.topics.baggageMessages;
    await produce(kafka, topic, messages, (_, index) => keys[index]!);
    await waitFor(
      async () => await appliedMessages(redis, topic) === COUNT,
      180_000,
      () => worker.output().slice(-2000),
    );

    // What the parser rejects must be dead-lettered; what it accepts is applied, or refused (a CHG or DEL of a bag
    // Redis does not hold at that point) and dead-lettered too.
    const invalid = new Set(keys.filter((_, index) => {
      try {
        baggageRecord(messages[index]!, NOW, config.limits);
        return false;
      } catch (error) {
        if (error instanceof InvalidMessage) return true;
        throw error;
      }
    }));
    assert.ok(invalid.size > COUNT / 4 && invalid.size < (COUNT * 3) / 4, `${invalid.size} invalid: a mix`);
    const dead = await readTopic(kafka, `${topic}.dlq`, invalid.size, { timeoutMs: 60_000 });
    const deadKeys = new Set(dead.map((message) => message.key!));
    assert.equal(deadKeys.size, dead.length, "each dead-lettered once");
    assert.deepEqual([...invalid].filter((key) => !deadKeys.has(key)), [], "every invalid message is dead-lettered");
    for (const message of dead) {
      assert.match(message.headers.error!, /^line \d+: /, `${message.key}: ${message.headers.error}`);
      if (!invalid.has(message.key!)) {
        assert.match(message.headers.error!, /^line \d+: (CHG|DEL) for unknown tag \d{10}/, message.key!);
      }
    }
    assert.ok(worker.isRunning(), "the worker is still running");

    // Redis is consistent: the count is the bags held, and every bag is on the manifest of each flight it takes.
    const bagKeys = await redis.keys("bag:id:*");
    assert.equal(await redis.get("bag:count") ?? "0", String(bagKeys.length));
    for (const key of bagKeys) {
      const bag = key.slice("bag:id:".length);
      for (const flight of JSON.parse((await redis.hget(key, "flights"))!) as string[]) {
        const manifest = JSON.parse(await redis.hget(`flight:id:${flight}`, "bags") ?? "[]") as string[];
        assert.ok(manifest.includes(bag), `${bag} on ${flight}'s manifest`);
      }
    }
  } finally {
    await worker.stop();
    await redis.quit();
  }
});
