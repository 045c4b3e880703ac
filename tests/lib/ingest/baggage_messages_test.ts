/**
 * Baggage messages end to end, on the real Kafka and Redis: BSMs give the same work as the same bags sent as JSON;
 * a CHG moves a bag and the work follows; a DEL removes it; bad messages and changes of unknown tags are
 * dead-lettered with their reason.
 */
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import type { Config } from "../../../lib/infra/config.ts";
import type { FlightWork } from "../../../lib/domain/work.ts";
import { startBaggageMessageConsumer } from "../../../lib/ingest/baggage_message_consumer.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { MONTHS } from "../../../lib/baggage_messages/flight_date.ts";
import { freshRedis, produce, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { testContext } from "../../_helpers/context.ts";
import { createScanner, startConsumers } from "../../_helpers/pipeline.ts";
import { appliedMessages } from "../../_helpers/redis_state.ts";

const T = Math.floor(Date.now() / 1000);
const today = new Date(T * 1000);
const ISO = today.toISOString().slice(0, 10);
const DDMMM = `${String(today.getUTCDate()).padStart(2, "0")}${MONTHS[today.getUTCMonth()]}`;
const IN = `BA0117-${ISO}`;
const OUT = `BA0282-${ISO}`;
const NEXT = `AA0123-${ISO}`;
const UNSCHEDULED = `AA0456-${ISO}`;
const flight = (id: string, departure: number, arrival: number) => ({
  id,
  departure_time: departure,
  arrival_time: arrival,
});
/** Both due at T: IN arrives in 5 minutes, OUT in 8; NEXT later; UNSCHEDULED never gets a schedule. */
const SCHEDULE = [flight(IN, T - 7200, T + 300), flight(OUT, T - 1800, T + 500), flight(NEXT, T + 4000, T + 9000)];
const TRANSFER = "0125728359";
const TERMINATING = "0125728360";
const UNKNOWN_NEXT = "0125728361";
const LOCAL = "0074123456";

const element = (name: string, designator: string, airport: string) => `.${name}/${designator}/${DDMMM}/${airport}/Y`;
const bsm = (...lines: string[]) => ["BSM", ...lines, "ENDBSM"].join("\n");
const BSMS = [
  bsm(".V/1TLHR", element("I", "BA0117", "JFK"), element("F", "AA0123", "SFO"), `.N/${TRANSFER}001`, ".P/SMITH/JOHN"),
  bsm(".V/1XLHR", element("I", "BA0117", "JFK"), `.N/${TERMINATING}001`),
  bsm(".V/1TLHR", element("I", "BA0117", "JFK"), element("F", "AA0456", "SEA"), `.N/${UNKNOWN_NEXT}001`),
  bsm(".V/1LLHR", element("F", "BA0282", "LAX"), `.N/${LOCAL}001`),
];
/** The same bags as JSON: manifests on the flights, itineraries on the bags topic. */
const JSON_FLIGHTS = [
  { ...SCHEDULE[0]!, bags: [TRANSFER, TERMINATING, UNKNOWN_NEXT] },
  { ...SCHEDULE[1]!, bags: [LOCAL] },
  { ...SCHEDULE[2]!, bags: [TRANSFER] },
];
const JSON_BAGS = [
  { id: TRANSFER, flights: [IN, NEXT] },
  { id: TERMINATING, flights: [IN] },
  { id: UNKNOWN_NEXT, flights: [IN, UNSCHEDULED] },
  { id: LOCAL, flights: [OUT] },
];
const byId = (value: unknown) => (value as { id: string }).id;
const byTag = (value: unknown) => /\.N\/(\d{10})/.exec(String(value))?.[1] ?? null;

/** The latest revision of each flight's work, without its scan time. */
function latestWork(messages: { value: string | null }[]) {
  const latest = new Map<string, Omit<FlightWork, "scanned_at">>();
  for (const message of messages) {
    const { scanned_at: _, ...work } = JSON.parse(message.value!) as FlightWork;
    if ((latest.get(work.id)?.revision ?? 0) < work.revision) latest.set(work.id, work);
  }
  return Object.fromEntries([...latest].sort(([a], [b]) => a.localeCompare(b)));
}

async function waitApplied(redis: Redis, topic: string, total: number) {
  await waitFor(async () => await appliedMessages(redis, topic) === total, 30_000, () => `${topic}: ${total} applied`);
}

/** Runs the JSON consumers, the baggage-messages consumer and a scanner on `config`. */
async function pipeline(config: Config) {
  const redis = await freshRedis(config);
  const consumers = await startConsumers(config);
  const context = await testContext({ ...config, kafka: { ...config.kafka, groupId: `${config.kafka.groupId}-bm` } });
  const baggage = await startBaggageMessageConsumer(context);
  const scanner = await createScanner(config);
  return {
    redis,
    kafka: testKafka(config),
    scanner,
    close: async () => {
      await scanner.close();
      await baggage.close();
      await context.closeContext();
      await consumers.close();
      await redis.quit();
    },
  };
}

Deno.test("BSMs for a transfer, a terminating, a local bag and one whose next flight is unknown give the work of the same bags as JSON", async () => {
  const viaJson = testConfig("baggage-messages");
  const json = await pipeline(viaJson);
  let expected: Record<string, unknown>;
  try {
    await produce(json.kafka, viaJson.topics.flights, JSON_FLIGHTS, byId);
    await produce(json.kafka, viaJson.topics.bags, JSON_BAGS, byId);
    await waitApplied(json.redis, viaJson.topics.flights, 3);
    await waitApplied(json.redis, viaJson.topics.bags, 4);
    await json.scanner.scan.scan(T);
    expected = latestWork(await readTopic(json.kafka, viaJson.topics.work, 2));
  } finally {
    await json.close();
  }
  assert.deepEqual(expected, {
    [OUT]: {
      id: OUT,
      arrival_time: T + 500,
      bags: { [LOCAL]: 0 },
      next_flights: { [LOCAL]: null },
      revision: 1,
      removed_bags: [],
    },
    [IN]: {
      id: IN,
      arrival_time: T + 300,
      bags: { [TRANSFER]: T + 4000, [TERMINATING]: 0, [UNKNOWN_NEXT]: -3 },
      next_flights: { [TRANSFER]: NEXT, [TERMINATING]: null, [UNKNOWN_NEXT]: UNSCHEDULED },
      revision: 1,
      removed_bags: [],
    },
  });

  const viaBsm = testConfig("baggage-messages");
  const typeB = await pipeline(viaBsm);
  try {
    // A schedule feed: the flights without bags, before and after the BSMs.
    await produce(typeB.kafka, viaBsm.topics.flights, SCHEDULE.slice(0, 1), byId);
    await produce(typeB.kafka, viaBsm.topics.baggageMessages, BSMS, byTag);
    await produce(typeB.kafka, viaBsm.topics.flights, SCHEDULE.slice(1), byId);
    await waitApplied(typeB.redis, viaBsm.topics.flights, 3);
    await waitApplied(typeB.redis, viaBsm.topics.baggageMessages, 4);
    await typeB.scanner.scan.scan(T);
    assert.deepEqual(latestWork(await readTopic(typeB.kafka, viaBsm.topics.work, 2)), expected);
    assert.deepEqual(await typeB.redis.hgetall(`bag:id:${TRANSFER}`), { flights: JSON.stringify([IN, NEXT]) });
    assert.equal(await typeB.redis.hget(`flight:id:${UNSCHEDULED}`, "bags"), JSON.stringify([UNKNOWN_NEXT]));
  } finally {
    await typeB.close();
  }
});

Deno.test("a CHG moves a bag to another flight and its work is corrected, with its new exceptions; a DEL removes a bag from the work", async () => {
  const config = testConfig("baggage-messages");
  const { redis, kafka, scanner, close } = await pipeline(config);
  try {
    await produce(kafka, config.topics.flights, SCHEDULE, byId);
    await produce(kafka, config.topics.baggageMessages, BSMS.slice(0, 2), byTag);
    await waitApplied(redis, config.topics.flights, 3);
    await waitApplied(redis, config.topics.baggageMessages, 2);
    await scanner.scan.scan(T);
    await produce(kafka, config.topics.baggageMessages, [
      bsm(
        "CHG",
        ".V/1TLHR",
        element("I", "BA0117", "JFK"),
        element("F", "BA0282", "LAX"),
        `.N/${TRANSFER}001`,
        ".E/RUSH/PRIO",
      ),
      bsm("DEL", ".V/1XLHR", `.N/${TERMINATING}001`),
    ], byTag);
    await waitApplied(redis, config.topics.baggageMessages, 4);
    await scanner.scan.scan(T + 1);
    const work = latestWork(await readTopic(kafka, config.topics.work, 4));
    assert.deepEqual(work, {
      [OUT]: {
        id: OUT,
        arrival_time: T + 500,
        bags: { [TRANSFER]: 0 },
        next_flights: { [TRANSFER]: null },
        exceptions: { [TRANSFER]: ["RUSH", "PRIO"] },
        revision: 2,
        removed_bags: [],
      },
      [IN]: {
        id: IN,
        arrival_time: T + 300,
        bags: { [TRANSFER]: T - 1800 },
        next_flights: { [TRANSFER]: OUT },
        exceptions: { [TRANSFER]: ["RUSH", "PRIO"] },
        revision: 2,
        removed_bags: [TERMINATING],
      },
    });
    assert.equal(await redis.exists(`bag:id:${TERMINATING}`), 0);
    assert.equal(await redis.hget(`flight:id:${NEXT}`, "bags"), "[]");
    assert.equal(await redis.get("bag:count"), "1");
  } finally {
    await close();
  }
});

Deno.test("a bad baggage message and a CHG or DEL of an unknown tag are dead-lettered with their reason; the rest is applied", async () => {
  const config = testConfig("baggage-messages");
  const { redis, kafka, close } = await pipeline(config);
  try {
    const truncated = bsm(".V/1TLHR", element("I", "BA0117", "JFK")).replace("\nENDBSM", "");
    const badCount = bsm(".V/1XLHR", element("I", "BA0117", "JFK"), `.N/${TRANSFER}00A`);
    const unknownChange = bsm("CHG", ".V/1XLHR", element("I", "BA0117", "JFK"), ".N/0000000001001");
    await produce(kafka, config.topics.baggageMessages, [truncated, badCount, unknownChange, BSMS[1]!], byTag);
    await waitApplied(redis, config.topics.baggageMessages, 4);
    const dead = await readTopic(kafka, `${config.topics.baggageMessages}.dlq`, 3);
    assert.deepEqual(
      dead.map((message) => [message.value, message.headers.error]).sort(),
      [
        [badCount, 'line 4: .N tag count "00A" is not a number'],
        [truncated, "line 3: no ENDBSM after the last element"],
        [unknownChange, "line 5: CHG for unknown tag 0000000001"],
      ].sort(),
    );
    assert.deepEqual(await redis.hgetall(`bag:id:${TERMINATING}`), { flights: JSON.stringify([IN]) });
  } finally {
    await close();
  }
});
