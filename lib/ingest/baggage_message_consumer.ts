/**
 * The baggage-messages consumer: IATA RP 1745 baggage messages (BSM, BTM, BPM, BUM) from BAGGAGE_MESSAGES_TOPIC
 * into Redis. A BSM or BTM adds, changes or deletes its bags' itineraries and their places on the flights'
 * manifests (lib/ingest/baggage_store.ts); a BPM or BUM is a bag event, counted here and kept by the archive.
 */
import { Counter } from "prom-client";
import { BAGGAGE_MESSAGE_CONSUMER_METRICS } from "../consume/consumer_metrics.ts";
import type { ServiceContext } from "../infra/service.ts";
import { baggageRecord } from "./baggage_records.ts";
import { createBaggageStore } from "./baggage_store.ts";
import { startInputConsumer } from "./input_consumer.ts";
import { markWindowOf } from "./mark_window.ts";

/** Builds and starts the baggage-messages consumer. */
export async function startBaggageMessageConsumer(context: ServiceContext) {
  const { config, registry, redis, clock } = context;
  const byType = new Counter({
    name: "baggage_messages_stored_total",
    help: "Valid baggage messages stored, by type (BSM, BTM, BPM, BUM); a redelivery counts again",
    labelNames: ["type"],
    registers: [registry],
  });
  for (const type of ["BSM", "BTM", "BPM", "BUM"]) byType.inc({ type }, 0);
  const topic = config.topics.baggageMessages;
  return await startInputConsumer(context, {
    topic,
    metricNames: BAGGAGE_MESSAGE_CONSUMER_METRICS,
    parse: (message) => baggageRecord(message.value, Number(message.timestamp) / 1000, config.limits),
    store: await createBaggageStore(redis, topic, markWindowOf(config, clock), config.scan.dataRetentionSeconds),
    onStored: (records) => {
      for (const { record } of records) byType.inc({ type: record.type });
    },
  });
}
