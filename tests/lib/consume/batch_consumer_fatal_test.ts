import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { BatchConsumer } from "../../../lib/consume/batch_consumer.ts";
import { BAG_CONSUMER_METRICS, createConsumerMetrics } from "../../../lib/consume/consumer_metrics.ts";
import { ensureTopics } from "../../../lib/infra/kafka.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { produce, testConfig, testKafka, testLogger } from "../../_helpers/fixtures.ts";

Deno.test("BatchConsumer hands an error no retry can heal to onFatal at once, instead of fetching the batch again", async () => {
  const config = testConfig("bag-consumer");
  const kafka = testKafka(config);
  const topic = config.topics.bags;
  await ensureTopics(kafka, config, [topic]);
  let stores = 0;
  const fatal: { error: unknown; stores: number }[] = [];
  const consumer = new BatchConsumer<string>({
    kafka,
    topic,
    groupId: config.kafka.groupId,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    chunkSize: 10,
    partitionsConcurrently: 1,
    parse: (message) => String(message.value),
    store: () => {
      stores += 1;
      // A bug in a store: retrying it would only repeat it.
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    },
    recordedOffset: () => Promise.resolve(-1n),
    metrics: createConsumerMetrics(new Registry(), BAG_CONSUMER_METRICS),
    logger: testLogger("bag-consumer"),
    // A real onFatal ends the process; this one records how often the store ran by then.
    onFatal: (error) => {
      fatal.push({ error, stores });
      return undefined as never;
    },
  });
  await consumer.start();
  try {
    await produce(kafka, topic, [{ id: "BAG_1", flights: [] }]);
    await waitFor(() => fatal.length > 0, 30_000);
    assert.equal(fatal[0]!.stores, 1, "the store ran once: no retry of a TypeError");
    assert.ok(fatal[0]!.error instanceof TypeError);
  } finally {
    await consumer.close();
  }
});
