import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { freshRedis, isolatedEnvironment, produce, readTopic, testKafka } from "../_helpers/fixtures.ts";
import { startWorker } from "../_helpers/processes.ts";
import { appliedMessages } from "../_helpers/redis_state.ts";
import { hostileBags, hostileFlights, type HostileMessage } from "./hostile_messages.ts";

const NOW = Math.floor(Date.now() / 1000);
const ID = "[A-Za-z0-9_.-]{1,128}";

Deno.test("consumers fed 10,000 hostile messages store the valid ones, dead-letter the rest with a reason, and stay up", async () => {
  const env = isolatedEnvironment("flight-consumer", { MAX_MESSAGE_BYTES: "500000" });
  const config = loadConfig("flight-consumer", env);
  const redis = await freshRedis(config);
  const flightWorker = startWorker("workers/flight_consumer.ts", {
    ...env,
    KAFKA_GROUP_ID: `${env.KAFKA_GROUP_ID}-flights`,
  });
  const bagWorker = startWorker("workers/bag_consumer.ts", { ...env, KAFKA_GROUP_ID: `${env.KAFKA_GROUP_ID}-bags` });
  try {
    const flights = hostileFlights(6_000, NOW);
    const bags = hostileBags(4_000);
    const kafka = testKafka(config);
    await produce(kafka, config.topics.flights, flights.map((m) => m.value), (_, index) => flights[index]!.key);
    await produce(kafka, config.topics.bags, bags.map((m) => m.value), (_, index) => bags[index]!.key);

    await waitFor(
      async () => await appliedMessages(redis, config.topics.flights) === flights.length,
      120_000,
      () => flightWorker.output().slice(-2000),
    );
    await waitFor(
      async () => await appliedMessages(redis, config.topics.bags) === bags.length,
      120_000,
      () => bagWorker.output().slice(-2000),
    );

    for (const [topic, messages] of [[config.topics.flights, flights], [config.topics.bags, bags]] as const) {
      const invalid = messages.filter((message) => message.storesId === undefined);
      const dead = await readTopic(kafka, `${topic}.dlq`, invalid.length, { timeoutMs: 60_000 });
      assert.deepEqual(dead.map((message) => message.key).sort(), invalid.map((message) => message.key).sort(), topic);
      assert.ok(dead.every((message) => message.headers.error!.length > 0 && message.headers.source_topic === topic));
    }

    const storedFlights = flights.filter((message) => message.storesId !== undefined);
    const storedBags = bags.filter((message) => message.storesId !== undefined);
    assert.equal(await redis.get("flight:count"), String(storedFlights.length));
    assert.equal(await redis.get("bag:count"), String(storedBags.length));
    // A plain message and one with repeats (dropped, the rest stored) of each topic.
    const samples = (messages: HostileMessage[]) =>
      [messages.find((m) => !m.storesList), messages.find((m) => m.storesList)].map((m) => m!);
    for (const message of samples(storedFlights)) {
      const sent = JSON.parse(message.value as string);
      assert.deepEqual(await redis.hgetall(`flight:id:${sent.id}`), {
        departure_time: String(sent.departure_time),
        arrival_time: String(sent.arrival_time),
        bags: JSON.stringify(message.storesList ?? sent.bags),
      });
    }
    for (const message of samples(storedBags)) {
      const sent = JSON.parse(message.value as string);
      assert.deepEqual(await redis.hgetall(`bag:id:${sent.id}`), {
        flights: JSON.stringify(message.storesList ?? sent.flights),
      });
    }

    const documented = new RegExp(
      `^(flight:id:${ID}|bag:id:${ID}|flight:arrival_times|flight:count|bag:count|offsets:${config.topics.flights}|offsets:${config.topics.bags})$`,
    );
    const keys = await redis.keys("*");
    assert.deepEqual(keys.filter((key) => !documented.test(key)), []);
    assert.equal(keys.length, storedFlights.length + storedBags.length + 5);

    assert.ok(flightWorker.isRunning() && bagWorker.isRunning(), "no worker crashed");
    assert.equal(await flightWorker.kill("SIGTERM"), 0);
    assert.equal(await bagWorker.kill("SIGTERM"), 0);
  } finally {
    await flightWorker.kill("SIGKILL");
    await bagWorker.kill("SIGKILL");
    await redis.quit();
  }
});
