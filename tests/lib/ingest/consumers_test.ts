import assert from "node:assert/strict";
import { waitFor } from "../../../lib/infra/poll.ts";
import { freshRedis, metricValue, produce, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { startConsumers } from "../../_helpers/pipeline.ts";
import { appliedMessages, snapshot } from "../../_helpers/redis_state.ts";

const T = Math.floor(Date.now() / 1000);
const byId = (value: unknown) => (value as { id: string }).id;

Deno.test("consumers store flights and bags exactly, count each once through replays, and move a delayed flight", async () => {
  const config = testConfig("flight-consumer");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  try {
    const flightA = { id: "FL_A", departure_time: T + 100.5, arrival_time: T + 3700.25, bags: ["BAG_1", "BAG_2"] };
    const flightB = { id: "FL_B", departure_time: T + 5000, arrival_time: T + 9000, bags: [] };
    const bags = [{ id: "BAG_1", flights: ["FL_A", "FL_B"] }, { id: "BAG_2", flights: [] }];
    await produce(kafka, config.topics.flights, [flightA, flightB, flightA], byId);
    await produce(kafka, config.topics.bags, [...bags, ...bags], byId);
    const delayedA = { ...flightA, arrival_time: T + 4000 };
    await produce(kafka, config.topics.flights, [delayedA], byId);
    await waitFor(async () => await appliedMessages(redis, config.topics.flights) === 4, 20_000);
    await waitFor(async () => await appliedMessages(redis, config.topics.bags) === 4, 20_000);

    const state = await snapshot(redis, "[fb]*");
    assert.deepEqual(state, {
      "bag:count": "2",
      "bag:id:BAG_1": { flights: '["FL_A","FL_B"]' },
      "bag:id:BAG_2": { flights: "[]" },
      "flight:arrival_times": ["FL_A", String(T + 4000), "FL_B", String(T + 9000)],
      "flight:count": "2",
      "flight:id:FL_A": {
        departure_time: String(T + 100.5),
        arrival_time: String(T + 4000),
        bags: '["BAG_1","BAG_2"]',
      },
      "flight:id:FL_B": { departure_time: String(T + 5000), arrival_time: String(T + 9000), bags: "[]" },
    });
    assert.equal(await metricValue(consumers.flightRegistry, "processed_flights_total"), 4);
    assert.equal(await metricValue(consumers.bagRegistry, "processed_bags_total"), 4);
    assert.equal(
      await metricValue(consumers.flightRegistry, "latest_consumed_flight_arrival_timestamp") >= T + 4000,
      true,
    );
  } finally {
    await consumers.close();
    await redis.quit();
  }
});

Deno.test("a flight message without bags (a schedule feed) sets the times and keeps the stored manifest", async () => {
  const config = testConfig("flight-consumer");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  try {
    // A manifest the baggage messages built, with the TTL that holds until a schedule comes.
    await redis.hset("flight:id:BA0282-2026-02-05", "bags", '["0125728359"]');
    await redis.expire("flight:id:BA0282-2026-02-05", 3600);
    const schedule = { id: "BA0282-2026-02-05", departure_time: T + 600, arrival_time: T + 4200 };
    const unknown = { id: "BA0117-2026-02-05", departure_time: T + 100, arrival_time: T + 3000 };
    await produce(kafka, config.topics.flights, [schedule, unknown, { ...schedule, arrival_time: T + 4500 }], byId);
    await waitFor(async () => await appliedMessages(redis, config.topics.flights) === 3, 20_000);

    assert.deepEqual(await snapshot(redis, "flight:*"), {
      "flight:arrival_times": ["BA0117-2026-02-05", String(T + 3000), "BA0282-2026-02-05", String(T + 4500)],
      "flight:count": "2",
      "flight:id:BA0117-2026-02-05": { departure_time: String(T + 100), arrival_time: String(T + 3000) },
      "flight:id:BA0282-2026-02-05": {
        departure_time: String(T + 600),
        arrival_time: String(T + 4500),
        bags: '["0125728359"]',
      },
    });
    // The schedule makes it an ordinary flight, expired with the others.
    assert.equal(await redis.ttl("flight:id:BA0282-2026-02-05"), -1);
  } finally {
    await consumers.close();
    await redis.quit();
  }
});

const INVALID_FLIGHTS: [string, string | Uint8Array][] = [
  ["value is not valid JSON", "{not json"],
  ["value is not a JSON object", "[1,2]"],
  ["value is not valid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ["'id' must be a string id", JSON.stringify({ departure_time: T, arrival_time: T + 1, bags: [] })],
  [
    "'id' must be 1-128 letters, digits, '_', '-' or '.'",
    JSON.stringify({ id: "FL:1", departure_time: T, arrival_time: T + 1, bags: [] }),
  ],
  [
    "'id' must be 1-128 letters, digits, '_', '-' or '.'",
    JSON.stringify({ id: "x".repeat(129), departure_time: T, arrival_time: T + 1, bags: [] }),
  ],
  [
    "'departure_time' must be a number of Unix seconds",
    JSON.stringify({ id: "FL_1", departure_time: "soon", arrival_time: T + 1, bags: [] }),
  ],
  [
    "'departure_time' -5 is before 2001 (Unix seconds expected)",
    JSON.stringify({ id: "FL_1", departure_time: -5, arrival_time: T + 1, bags: [] }),
  ],
  [
    "'arrival_time' must be after 'departure_time'",
    JSON.stringify({ id: "FL_1", departure_time: T + 10, arrival_time: T, bags: [] }),
  ],
  [
    "'bags' must be an array of ids",
    JSON.stringify({ id: "FL_1", departure_time: T, arrival_time: T + 1, bags: "BAG_1" }),
  ],
  [
    "'bags[1]' must be 1-128 letters, digits, '_', '-' or '.'",
    JSON.stringify({ id: "FL_1", departure_time: T, arrival_time: T + 1, bags: ["BAG_1", "BAG {2}"] }),
  ],
];

Deno.test("flight consumer dead-letters every kind of invalid message with its reason and goes on", async () => {
  const config = testConfig("flight-consumer");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  try {
    const valid = { id: "FL_OK", departure_time: T, arrival_time: T + 60, bags: [] };
    await produce(kafka, config.topics.flights, [...INVALID_FLIGHTS.map(([, value]) => value), "", valid]);
    const dead = await readTopic(kafka, `${config.topics.flights}.dlq`, INVALID_FLIGHTS.length + 1);
    assert.deepEqual(
      dead.map((message) => message.headers.error).sort(),
      [...INVALID_FLIGHTS.map(([reason]) => reason), "empty value"].sort(),
    );
    for (const message of dead) {
      assert.equal(message.headers.source_topic, config.topics.flights);
    }
    const utf8 = dead.find((message) => message.headers.error === "value is not valid UTF-8")!;
    assert.equal(utf8.value, new TextDecoder().decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    await waitFor(async () => await redis.exists("flight:id:FL_OK") === 1, 20_000);
    assert.equal(await redis.get("flight:count"), "1");
    assert.equal(
      await metricValue(consumers.flightRegistry, "invalid_messages_total", { topic: config.topics.flights }),
      12,
    );
  } finally {
    await consumers.close();
    await redis.quit();
  }
});

Deno.test("bag consumer dead-letters invalid itineraries with their reason", async () => {
  const config = testConfig("bag-consumer", { MAX_ITINERARY_FLIGHTS: "3" });
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  try {
    const invalid: [string, string][] = [
      ["'flights' must be an array of ids", JSON.stringify({ id: "BAG_1" })],
      [
        "'flights' has 4 entries, more than MAX_ITINERARY_FLIGHTS (3)",
        JSON.stringify({ id: "BAG_1", flights: ["A", "B", "C", "D"] }),
      ],
      [
        "'flights' lists A twice, not in a row: what follows A is ambiguous",
        JSON.stringify({ id: "BAG_1", flights: ["A", "B", "A"] }),
      ],
      ["'id' must be 1-128 letters, digits, '_', '-' or '.'", JSON.stringify({ id: "BAG\n1", flights: [] })],
    ];
    await produce(kafka, config.topics.bags, [
      ...invalid.map(([, value]) => value),
      JSON.stringify({ id: "BAG_OK", flights: ["A"] }),
    ]);
    const dead = await readTopic(kafka, `${config.topics.bags}.dlq`, invalid.length);
    assert.deepEqual(dead.map((message) => message.headers.error).sort(), invalid.map(([reason]) => reason).sort());
    await waitFor(async () => await redis.hget("bag:id:BAG_OK", "flights") === '["A"]', 20_000);
    assert.deepEqual((await redis.keys("bag:*")).sort(), ["bag:count", "bag:id:BAG_OK"]);
  } finally {
    await consumers.close();
    await redis.quit();
  }
});

Deno.test("consumers drop the ids a manifest or an itinerary repeats, count them, and apply the rest", async () => {
  const config = testConfig("flight-consumer");
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(config);
  try {
    const flight = {
      id: "FL_D",
      departure_time: T + 60,
      arrival_time: T + 3_600,
      bags: ["BAG_1", "BAG_2", "BAG_1", "BAG_1"],
    };
    const bag = { id: "BAG_1", flights: ["FL_A", "FL_A", "FL_D"] };
    await produce(kafka, config.topics.flights, [flight], byId);
    await produce(kafka, config.topics.bags, [bag], byId);
    await waitFor(async () => await appliedMessages(redis, config.topics.flights) === 1, 20_000);
    await waitFor(async () => await appliedMessages(redis, config.topics.bags) === 1, 20_000);

    assert.deepEqual(await redis.hgetall("flight:id:FL_D"), {
      departure_time: String(T + 60),
      arrival_time: String(T + 3_600),
      bags: '["BAG_1","BAG_2"]',
    });
    assert.deepEqual(await redis.hgetall("bag:id:BAG_1"), { flights: '["FL_A","FL_D"]' });
    const flights = { topic: config.topics.flights };
    const bags = { topic: config.topics.bags };
    assert.equal(await metricValue(consumers.flightRegistry, "duplicate_ids_dropped_total", flights), 2);
    assert.equal(await metricValue(consumers.bagRegistry, "duplicate_ids_dropped_total", bags), 1);
    assert.equal(await metricValue(consumers.flightRegistry, "invalid_messages_total", flights), 0);
    assert.equal(await metricValue(consumers.bagRegistry, "invalid_messages_total", bags), 0);
    assert.equal(await metricValue(consumers.flightRegistry, "processed_flights_total"), 1);
  } finally {
    await consumers.close();
    await redis.quit();
  }
});
