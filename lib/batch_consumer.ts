/**
 * A Kafka consumer that validates each message, dead-letters the invalid ones, and hands the valid
 * ones of a partition to an idempotent `store` call in chunks, in offset order.
 *
 * Exactly-once into Redis: `store` records the last applied offset per partition atomically with
 * the data, so a redelivery (after a crash, a rebalance or a second replica) changes nothing.
 * When Redis reports that its record is gone (it lost its data), the partition is replayed from the start.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { deadLetterTopic, sendToDeadLetters } from "./dead_letters.ts";
import { createProducer } from "./kafka.ts";
import type { Logger } from "./log.ts";
import { InvalidMessage } from "./domain/validation.ts";
import { retryUntilDone } from "./retry.ts";
import type { ConsumerMetrics } from "./consumer_metrics.ts";

/** A valid message with its offset. */
export interface Parsed<T> {
  readonly offset: string;
  readonly record: T;
}

/** One chunk for `store`: valid records of one partition, and the last offset handled (valid or not). */
export interface StoreRequest<T> {
  readonly partition: number;
  readonly mustHaveState: boolean;
  readonly lastOffset: string;
  readonly records: readonly Parsed<T>[];
}

/** What `store` reports: applied, or the partition's state is missing from Redis. */
export type StoreResult = { status: "applied"; applied: number; inserted: number } | { status: "state-lost" };

export interface BatchConsumerOptions<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  /** A killed member's partitions move to the others after this long without heartbeats. */
  readonly sessionTimeoutMs: number;
  readonly chunkSize: number;
  readonly partitionsConcurrently: number;
  readonly parse: (message: KafkaMessage) => T;
  readonly store: (request: StoreRequest<T>) => Promise<StoreResult>;
  /** Whether Redis still records an applied offset for `partition` (false after Redis lost its data). */
  readonly hasState: (partition: number) => Promise<boolean>;
  readonly metrics: ConsumerMetrics;
  readonly logger: Logger;
  /** Called after each chunk is stored, for per-record metrics such as the latest arrival time. */
  readonly onStored?: (records: readonly Parsed<T>[]) => void;
}

/** How often partitions that have state are checked for a Redis that lost its data while idle. */
const STATE_CHECK_MS = 5_000;

export { deadLetterTopic };

export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly partitionsApplied = new Set<number>();
  private readonly lowWatermarks = new Map<number, bigint>();
  private assigned: number[] = [];
  private stateCheck: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private running = false;

  constructor(private readonly options: BatchConsumerOptions<T>) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
      maxBytesPerPartition: 1_048_576,
    });
    this.producer = createProducer(options.kafka);
  }

  /** Connects and starts consuming; resolves once the consumer runs. */
  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.lowWatermarks.clear();
      this.assigned = payload.memberAssignment[this.options.topic] ?? [];
    });
    // Start the counters at 0 so that the first dead letter or resync is an increase Prometheus can alert on.
    this.options.metrics.invalid.inc({ topic: this.options.topic }, 0);
    this.options.metrics.stateResyncs.inc({ topic: this.options.topic }, 0);
    this.running = true;
    this.stateCheck = setInterval(() => void this.replayPartitionsWithLostState(), STATE_CHECK_MS);
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** Stops fetching, lets the batch in hand finish and commit, and disconnects. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.running = false;
      clearInterval(this.stateCheck);
      await this.consumer.disconnect();
      await this.producer.disconnect();
    })();
    return this.closing;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    this.options.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    for (let start = 0; start < batch.messages.length; start += this.options.chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + this.options.chunkSize);
      const replayFrom = await this.handleChunk(batch.partition, chunk, payload);
      if (replayFrom !== undefined) {
        this.replay(batch.partition, replayFrom);
        return;
      }
      const last = chunk[chunk.length - 1]!;
      payload.resolveOffset(last.offset);
      await payload.heartbeat();
    }
    await payload.commitOffsetsIfNecessary();
  }

  private replay(partition: number, from: bigint): void {
    this.options.logger.warn({ partition, offset: from.toString() }, "Redis lost this partition's state; replaying it");
    this.options.metrics.stateResyncs.inc({ topic: this.options.topic });
    this.partitionsApplied.delete(partition);
    this.consumer.seek({ topic: this.options.topic, partition, offset: from.toString() });
  }

  /** Notices a Redis that lost its data even when no new message arrives. */
  private async replayPartitionsWithLostState(): Promise<void> {
    try {
      for (const partition of this.assigned) {
        if (!this.running || !this.partitionsApplied.has(partition)) continue;
        if (await this.options.hasState(partition)) continue;
        this.replay(partition, await this.lowWatermark(partition));
      }
    } catch (error) {
      this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, "state check failed");
    }
  }

  /** Dead-letters the invalid messages and stores the valid ones; returns an offset to replay from if state was lost. */
  private async handleChunk(
    partition: number,
    chunk: KafkaMessage[],
    payload: EachBatchPayload,
  ): Promise<bigint | undefined> {
    const { topic, metrics, logger } = this.options;
    const valid: Parsed<T>[] = [];
    const invalid: { message: KafkaMessage; reason: string }[] = [];
    for (const message of chunk) {
      try {
        valid.push({ offset: message.offset, record: this.options.parse(message) });
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        invalid.push({ message, reason: error.reason });
      }
    }
    const keepGoing = () => this.running && payload.isRunning();
    if (invalid.length > 0) {
      await retryUntilDone(
        "dead-lettering",
        () => sendToDeadLetters(this.producer, topic, partition, invalid),
        logger,
        keepGoing,
        payload.heartbeat,
      );
      metrics.invalid.inc({ topic }, invalid.length);
      for (const { message, reason } of invalid) {
        logger.warn({ topic, partition, offset: message.offset, reason }, "invalid message dead-lettered");
      }
    }
    const firstOffset = BigInt(chunk[0]!.offset);
    const lowWatermark = await this.lowWatermark(partition);
    const request: StoreRequest<T> = {
      partition,
      // Past the partition's first message, Redis must already record this partition: if it does not, it lost its data.
      mustHaveState: firstOffset > lowWatermark,
      lastOffset: chunk[chunk.length - 1]!.offset,
      records: valid,
    };
    const stopTimer = metrics.storeSeconds.startTimer();
    const result = await retryUntilDone(
      "storing in Redis",
      () => this.options.store(request),
      logger,
      keepGoing,
      payload.heartbeat,
    );
    if (result.status === "state-lost") return lowWatermark;
    stopTimer();
    this.partitionsApplied.add(partition);
    metrics.batchSize.observe(valid.length);
    metrics.processed.inc(result.applied);
    this.options.onStored?.(valid);
    return undefined;
  }

  private async lowWatermark(partition: number): Promise<bigint> {
    let low = this.lowWatermarks.get(partition);
    if (low === undefined) {
      const admin = this.options.kafka.admin();
      await admin.connect();
      try {
        for (const entry of await admin.fetchTopicOffsets(this.options.topic)) {
          this.lowWatermarks.set(entry.partition, BigInt(entry.low));
        }
      } finally {
        await admin.disconnect();
      }
      low = this.lowWatermarks.get(partition) ?? 0n;
    }
    return low;
  }
}
