/**
 * Produces the seeded dataset to fresh topics with the test producer's own Publisher at pace `max`,
 * and keeps what later stages need: every flight's arrival and manifest size, and samples for the ceilings.
 */
import { Registry } from "prom-client";
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { createProducer, type Kafka } from "../../lib/infra/kafka.ts";
import { createLogger } from "../../lib/infra/log.ts";
import { type DatasetChunk, type DatasetOptions, generateDataset } from "../producer/dataset.ts";
import { createProducerMetrics } from "../producer/metrics.ts";
import { Publisher } from "../producer/publisher.ts";
import { scheduleSends } from "../producer/schedule.ts";

/** What later stages need to know about a flight. */
export interface FlightInfo {
  readonly id: string;
  readonly arrival: number;
  readonly bagCount: number;
}

export interface Produced {
  readonly flights: readonly FlightInfo[];
  readonly flightsSent: number;
  readonly bagsSent: number;
  /** Bags generated, including those whose message is never sent ("missing" itineraries). */
  readonly bagsGenerated: number;
  /** Seconds spent sending, generation excluded. */
  readonly sendSeconds: number;
  readonly generateSeconds: number;
  readonly messagesPerSecond: number;
  readonly averageBagBytes: number;
  /** The first flights and bags sent, for the Lua upsert ceiling and memory samples; release() drops them. */
  readonly samples: Samples;
}

/** Records kept for the ceilings: emptied once used, so the scan stages run in a lean heap. */
export interface Samples {
  flights: readonly Flight[];
  bags: readonly Bag[];
}

/** How many records of each topic are kept for the ceilings. */
const FLIGHT_SAMPLE = 2_000;
const BAG_SAMPLE = 200_000;

/** Generates and publishes the dataset; resolves when Kafka acknowledged every send. */
export async function produceDataset(
  kafka: Kafka,
  topics: { readonly flights: string; readonly bags: string },
  dataset: DatasetOptions,
): Promise<Produced> {
  const producer = createProducer(kafka);
  await producer.connect();
  const metrics = createProducerMetrics(new Registry(), [topics.flights, topics.bags]);
  const publisher = new Publisher({ producer, topics, metrics, logger: createLogger("bench", "warn"), pace: "max" });

  const timer = { generating: 0 };
  let bagsGenerated = 0;
  const counted = function* (chunks: Iterable<DatasetChunk>) {
    for (const chunk of chunks) {
      bagsGenerated += chunk.bags.length;
      yield chunk;
    }
  };
  const flights: FlightInfo[] = [];
  const flightSample: Flight[] = [];
  const bagSample: Bag[] = [];
  let bagBytes = 0;
  let bagsSeen = 0;
  // Sampling happens inside the timed generator, so its cost is not counted as sending.
  const sends = timed(scheduleSends(counted(generateDataset(dataset)), dataset.startSeconds), timer, (send) => {
    if (send.topic === "flights") {
      for (const flight of send.records) {
        flights.push({ id: flight.id, arrival: flight.arrival_time, bagCount: flight.bags.length });
        if (flightSample.length < FLIGHT_SAMPLE) flightSample.push(flight);
      }
      return;
    }
    for (const bag of send.records) {
      if (bagsSeen++ < 10_000) bagBytes += JSON.stringify(bag).length;
      if (bagSample.length < BAG_SAMPLE) bagSample.push(bag);
    }
  });

  const started = performance.now();
  try {
    const report = await publisher.publish(sends, new AbortController().signal);
    const elapsed = (performance.now() - started) / 1000;
    const sendSeconds = Math.max(0.001, elapsed - timer.generating);
    return {
      flights,
      flightsSent: report.flights,
      bagsSent: report.bags,
      bagsGenerated,
      sendSeconds,
      generateSeconds: timer.generating,
      messagesPerSecond: (report.flights + report.bags) / sendSeconds,
      averageBagBytes: bagBytes / Math.max(1, Math.min(bagsSeen, 10_000)),
      samples: { flights: flightSample, bags: bagSample },
    };
  } finally {
    await producer.disconnect();
  }
}

/** Passes `items` through, adding the time spent producing each one (and in `look`) to `timer.generating`. */
function* timed<T>(items: Iterable<T>, timer: { generating: number }, look: (item: T) => void): Generator<T> {
  const iterator = items[Symbol.iterator]();
  while (true) {
    const started = performance.now();
    const next = iterator.next();
    if (!next.done) look(next.value);
    timer.generating += (performance.now() - started) / 1000;
    if (next.done) return;
    yield next.value;
  }
}
