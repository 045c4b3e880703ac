/**
 * Runs the flight and bag consumers in-process, and an ArrivalScan (and its change follower) with an injected clock, on
 * the Redis topology `config` names (a cluster with REDIS_CLUSTER_NODES).
 */
import { ArrivalScan } from "../../lib/scan/arrival_scan.ts";
import { startBagConsumer } from "../../lib/ingest/bag_consumer.ts";
import type { Config } from "../../lib/infra/config.ts";
import { startFlightConsumer } from "../../lib/ingest/flight_consumer.ts";
import { createProducer, ensureWorkTopics } from "../../lib/infra/kafka.ts";
import { createScannerMetrics } from "../../lib/scan/scanner_metrics.ts";
import { testClientContext } from "./context.ts";
import { ChangeFollower } from "../../lib/scan/change_follower.ts";
import { type Clock, systemClock } from "../../lib/infra/clock.ts";
import { WORK_STATE } from "../../lib/infra/keys.ts";

/** Starts both consumers on `config`'s topics. */
export async function startConsumers(config: Config) {
  // Each consumer is its own group, as with the default KAFKA_GROUP_ID (the service name).
  const withGroup = (groupId: string) => ({ ...config, kafka: { ...config.kafka, groupId } });
  const flightContext = await testClientContext(withGroup(`${config.kafka.groupId}-flights`));
  const bagContext = await testClientContext(withGroup(`${config.kafka.groupId}-bags`));
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
  const context = await testClientContext(config);
  await ensureWorkTopics(context.kafka, config);
  const producer = createProducer(context.kafka);
  await producer.connect();
  const metrics = createScannerMetrics(context.registry);
  const scan = new ArrivalScan({ redis: context.redis, producer, metrics, config });
  let follower: ChangeFollower | undefined;
  return {
    scan,
    registry: context.registry,
    /**
     * Starts following the marks and the window's edge from `scannedAt`, the time of the last whole scan, as the
     * scanner process does after its first scan (which
     * leaves the publication states marked as intact: there is nothing to restore in a fresh database).
     */
    follow: async (scannedAt: number, clock: Clock = systemClock) => {
      await context.redis.hset(WORK_STATE, "restored_at", String(clock()));
      follower = new ChangeFollower({ redis: context.redis, scan, config, metrics, logger: context.logger, clock });
      follower.start(scannedAt);
    },
    close: async () => {
      await follower?.close();
      await producer.disconnect();
      await context.closeContext();
    },
  };
}
