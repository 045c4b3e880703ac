/** Runs the flight and bag consumers in-process and an ArrivalScan with an injected clock. */
import { ArrivalScan } from "../../lib/scan/arrival_scan.ts";
import { startBagConsumer } from "../../lib/ingest/bag_consumer.ts";
import type { Config } from "../../lib/infra/config.ts";
import { startFlightConsumer } from "../../lib/ingest/flight_consumer.ts";
import { createProducer, ensureWorkTopics } from "../../lib/infra/kafka.ts";
import { createScannerMetrics } from "../../lib/scan/scanner_metrics.ts";
import { testContext } from "./context.ts";

/** Starts both consumers on `config`'s topics. */
export async function startConsumers(config: Config) {
  // Each consumer is its own group, as with the default KAFKA_GROUP_ID (the service name).
  const withGroup = (groupId: string) => ({ ...config, kafka: { ...config.kafka, groupId } });
  const flightContext = await testContext(withGroup(`${config.kafka.groupId}-flights`));
  const bagContext = await testContext(withGroup(`${config.kafka.groupId}-bags`));
  const flights = await startFlightConsumer(flightContext);
  const bags = await startBagConsumer(bagContext);
  return {
    flightRegistry: flightContext.registry,
    bagRegistry: bagContext.registry,
    close: async () => {
      await flights.close();
      await bags.close();
      await flightContext.closeContext();
      await bagContext.closeContext();
    },
  };
}

/** An ArrivalScan publishing to `config`'s work topic, as one scanner replica. */
export async function createScanner(config: Config) {
  const context = await testContext(config);
  await ensureWorkTopics(context.kafka, config);
  const producer = createProducer(context.kafka);
  await producer.connect();
  const scan = new ArrivalScan({
    redis: context.redis,
    producer,
    metrics: createScannerMetrics(context.registry),
    config,
  });
  return {
    scan,
    registry: context.registry,
    close: async () => {
      await producer.disconnect();
      await context.closeContext();
    },
  };
}
