/**
 * The test producer process: generates the seeded dataset hour by hour and publishes it to the `flights` and `bags`
 * topics, or (PRODUCER_FORMAT=bsm) as schedules to `flights` and baggage source messages to the baggage-messages
 * topic (bsm_dataset.ts). When everything is sent it logs "producer finished" with the counts, disconnects its Kafka
 * producer and stays idle, so Prometheus can still scrape the final values, until SIGINT/SIGTERM (runService) closes it.
 */
import type { Logger } from "../../lib/infra/log.ts";
import { createProducer, ensureTopics } from "../../lib/infra/kafka.ts";
import type { Closable, ServiceContext } from "../../lib/infra/service.ts";
import { bsmEncoding } from "./bsm_dataset.ts";
import { loadProducerSettings, type ProducerSettings } from "./config.ts";
import { type BagKind, type DatasetChunk, generateDataset } from "./dataset.ts";
import { createProducerMetrics } from "./metrics.ts";
import { type AnySend, type Clock, Publisher, type PublishReport, systemClock } from "./publisher.ts";
import { scheduleBsmSends, scheduleSends } from "./schedule.ts";

/** Injections for tests: settings instead of the environment's, and a clock. */
export interface TestProducerOptions {
  readonly settings?: ProducerSettings;
  readonly clock?: Clock;
}

/** The running producer: `close()` stops after the send in hand; `finished` settles when publishing ends. */
export interface TestProducer extends Closable {
  /** Start of the arrival window (Unix seconds): with the seed, it determines the data. */
  readonly startSeconds: number;
  readonly finished: Promise<PublishReport>;
}

/** Creates the topics if missing, then publishes the dataset in the background. */
export async function startTestProducer(
  { config, logger, registry, kafka }: ServiceContext<"kafka">,
  options: TestProducerOptions = {},
): Promise<TestProducer> {
  const settings = options.settings ?? loadProducerSettings(config.limits.maxBagsPerFlight);
  const clock = options.clock ?? systemClock;
  const bsm = settings.format === "bsm";
  const topics = {
    flights: config.topics.flights,
    bags: config.topics.bags,
    baggageMessages: config.topics.baggageMessages,
  };
  const startSeconds = Math.floor(clock.now() / 1000) + settings.startOffsetSeconds;
  const dataset = { ...settings, startSeconds };
  // Before connecting: mapping every flight to its real id can fail (an airline out of numbers for a day).
  const encoding = bsm ? bsmEncoding(dataset) : undefined;

  await ensureTopics(kafka, config, bsm ? [topics.flights, topics.baggageMessages] : [topics.flights, topics.bags]);
  const producer = createProducer(kafka);
  await producer.connect();
  const metrics = createProducerMetrics(
    registry,
    bsm ? [topics.flights, topics.bags, topics.baggageMessages] : [topics.flights, topics.bags],
  );
  const publisher = new Publisher({ producer, topics, metrics, logger, pace: settings.pace, clock });

  const generated: Record<BagKind, number> = { on_time: 0, late: 0, missing: 0, empty: 0 };
  const chunks = tallied(generateDataset(dataset), generated, logger);
  const sends: Iterable<AnySend> = encoding
    ? scheduleBsmSends(chunks, startSeconds, encoding)
    : scheduleSends(chunks, startSeconds);
  const stop = new AbortController();
  logger.info({ ...settings, window_start: startSeconds }, "producer publishing");

  const finished = (async () => {
    try {
      const report = await publisher.publish(sends, stop.signal);
      const message = report.completed ? "producer finished" : "producer stopped before the end";
      logger.info({ ...report, generated_bags: generated }, message);
      return report;
    } catch (error) {
      // Kafka failures are retried until closed, so this is a bug: let it crash the process.
      logger.fatal({ err: error instanceof Error ? error.stack : String(error) }, "producer failed");
      throw error;
    } finally {
      await producer.disconnect().catch((error) => logger.warn({ err: String(error) }, "producer disconnect failed"));
    }
  })();

  let closing: Promise<void> | undefined;
  return {
    startSeconds,
    finished,
    close: () => {
      closing ??= (async () => {
        stop.abort();
        await finished;
      })();
      return closing;
    },
  };
}

/** Passes the chunks through, counting the generated bags by kind and logging each hour. */
function* tallied(
  chunks: Iterable<DatasetChunk>,
  generated: Record<BagKind, number>,
  logger: Logger,
): Generator<DatasetChunk> {
  for (const chunk of chunks) {
    for (const bag of chunk.bags) generated[bag.kind] += 1;
    logger.info({ hour: chunk.hour, flights: chunk.flights.length, bags: chunk.bags.length }, "generated chunk");
    yield chunk;
  }
}
