/**
 * The baggage-messages stage (issue 16): the dataset's bags as IATA BSMs (the test producer's rendering,
 * tools/producer/bsm_dataset.ts, and its Publisher) on a topic of their own, consumed by as many baggage-messages
 * processes as the bag stage had into an empty Redis database of the bench's Redis, measured as that stage is
 * (consume.ts: from the offsets recorded in Redis), and rated against the JSON bag consumption of the same run.
 */
import { Registry } from "prom-client";
import { createProducer, type Kafka } from "../../lib/infra/kafka.ts";
import { BAG_COUNT } from "../../lib/infra/keys.ts";
import { createLogger } from "../../lib/infra/log.ts";
import { bsmEncoding } from "../producer/bsm_dataset.ts";
import { type DatasetOptions, generateDataset } from "../producer/dataset.ts";
import { createProducerMetrics } from "../producer/metrics.ts";
import { Publisher } from "../producer/publisher.ts";
import { scheduleBsmSends, type ScheduledBsmSend } from "../producer/schedule.ts";
import { benchRedis, benchRedisUrl } from "./bench_stack.ts";
import { consumeStage, type StageResult } from "./consume.ts";
import { usedMemory } from "./memory.ts";
import type { Rated } from "./report.ts";

/** The bench Redis database the stage stores into: 0 holds the pipeline, 1 the ceilings' scratch data. */
export const BAGGAGE_MESSAGES_DB = 2;

/** The BSMs sent: one per bag the JSON path sends, less the empty bags, which have no BSM. */
export interface BsmProduced {
  readonly sent: number;
  /** Bags the JSON path sends with `flights: []`, for which no BSM is sent. */
  readonly empty: number;
  /** Generation, rendering and sending, in seconds. */
  readonly seconds: number;
}

/** The stage's figures: `perSecond` is BSMs applied a second, its reference the JSON bag consumption's bags a second. */
export interface BaggageMessagesStage extends Rated, StageResult {
  readonly produced: BsmProduced;
  /** used_memory of the stage's database after it, over the BSMs (bags with their manifests; flights only as BSMs name them). */
  readonly redisBytesPerBag: number;
}

export interface BaggageMessagesOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly dataset: DatasetOptions;
  /** The bag stage's figures and the bags the JSON path sent, to check the BSMs' count against. */
  readonly json: { readonly perSecond: number; readonly bagsSent: number };
  readonly processes: number;
  /** The bag consumer's environment: REDIS_URL and BAGGAGE_MESSAGES_TOPIC are set here. */
  readonly env: Record<string, string | undefined>;
  readonly extraFlags: readonly string[];
}

/** Produces the BSMs, then consumes them into database BAGGAGE_MESSAGES_DB (flushed first, and after). */
export async function baggageMessagesStage(
  options: BaggageMessagesOptions,
  step: (message: string) => void,
): Promise<BaggageMessagesStage> {
  step(`producing the bags as BSMs to ${options.topic}`);
  const produced = await produceBaggageMessages(options.kafka, options.topic, options.dataset);
  if (produced.sent + produced.empty !== options.json.bagsSent) {
    throw new Error(
      `${produced.sent} BSMs and ${produced.empty} empty bags were produced, ` +
        `the JSON path sent ${options.json.bagsSent} bags`,
    );
  }
  const redis = await benchRedis(BAGGAGE_MESSAGES_DB);
  try {
    await redis.flushdb();
    const memoryBefore = await usedMemory(redis);
    step(`stage: baggage messages (${options.processes} processes, Redis database ${BAGGAGE_MESSAGES_DB})`);
    const result = await consumeStage(options.kafka, redis, {
      service: "baggage-messages",
      processedMetric: "processed_baggage_messages_total",
      topic: options.topic,
      processes: options.processes,
      env: { ...options.env, REDIS_URL: benchRedisUrl(BAGGAGE_MESSAGES_DB), BAGGAGE_MESSAGES_TOPIC: options.topic },
      extraFlags: options.extraFlags,
    });
    const memoryAfter = await usedMemory(redis);
    const stored = Number(await redis.get(BAG_COUNT));
    if (result.messages !== produced.sent || stored !== produced.sent) {
      throw new Error(
        `${options.topic} holds ${result.messages} messages and Redis ${stored} bags, ${produced.sent} BSMs were sent`,
      );
    }
    await redis.flushdb();
    return {
      ...result,
      ceiling: { name: "JSON bag consumption", perSecond: options.json.perSecond },
      produced,
      redisBytesPerBag: (memoryAfter - memoryBefore) / Math.max(1, produced.sent),
    };
  } finally {
    await redis.quit();
  }
}

/**
 * Publishes the dataset's bags as the test producer does in `bsm` mode (PRODUCER_FORMAT=bsm), keyed by tag, at pace
 * max: the same seeded dataset generated again, its flights' real ids mapped first, the schedule sends left out.
 */
export async function produceBaggageMessages(kafka: Kafka, topic: string, dataset: DatasetOptions) {
  const started = performance.now();
  const encoding = bsmEncoding(dataset);
  let empty = 0;
  const bag: typeof encoding.bag = (generated) => {
    const message = encoding.bag(generated);
    if (message === null && generated.kind !== "missing") empty += 1;
    return message;
  };
  const sends = function* (): Generator<ScheduledBsmSend> {
    const all = scheduleBsmSends(generateDataset(dataset), dataset.startSeconds, { ...encoding, bag });
    for (const send of all) if (send.topic === "baggageMessages") yield send;
  };
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const publisher = new Publisher({
      producer,
      // Only BSM sends are published: the other topics are never sent to.
      topics: { flights: topic, bags: topic, baggageMessages: topic },
      metrics: createProducerMetrics(new Registry(), [topic]),
      logger: createLogger("bench", "warn"),
      pace: "max",
    });
    const report = await publisher.publish(sends(), new AbortController().signal);
    return { sent: report.bags, empty, seconds: (performance.now() - started) / 1000 } satisfies BsmProduced;
  } finally {
    await producer.disconnect();
  }
}
