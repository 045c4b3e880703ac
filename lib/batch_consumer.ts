/**
 * A Kafka consumer that validates each message, dead-letters the invalid ones, and hands the valid
 * ones of a partition to an idempotent `store` call in chunks, in offset order.
 *
 * Exactly-once into Redis: `store` records the last applied offset per partition atomically with
 * the data, so a redelivery (after a crash, a rebalance or a second replica) changes nothing.
 * When Redis reports that its record is gone (it lost its data), the partition is replayed from the start.
 *
 * Throughput: kafkajs fetches the next batch only once every handler of the last fetch has returned.
 * So a batch's stores run in a lane of their own (one per partition, in offset order) while kafkajs
 * fetches and decodes the next batch; a partition's next batch waits for its lane. Offsets are
 * committed to Kafka by the lane, only once stored, so a crash replays at most what was in flight,
 * which the offsets recorded in Redis turn into no-ops.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { deadLetterTopic, sendToDeadLetters } from "./dead_letters.ts";
import { createProducer } from "./kafka.ts";
import { errorMessage, type Logger } from "./log.ts";
import { InvalidMessage } from "./domain/validation.ts";
import { retryUntilDone } from "./retry.ts";
import { settlesWithin } from "./poll.ts";
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
/** How long close() waits for the stores in flight before giving up on them (they are replayed). */
const CLOSE_DRAIN_MS = 10_000;

export { deadLetterTopic };

export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly partitionsApplied = new Set<number>();
  private readonly lowWatermarks = new Map<number, bigint>();
  /** Per partition: the stores of the batch in hand, running while the next batch is fetched. */
  private readonly lanes = new Map<number, Promise<void>>();
  /** Per partition: bumped by a replay, so that the lanes started before it stop and commit nothing. */
  private readonly generations = new Map<number, number>();
  /** Per partition: the next offset to consume, once everything before it is stored (what to commit). */
  private readonly storedOffsets = new Map<number, string>();
  private readonly committedOffsets = new Map<number, string>();
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
      // Only the lanes know what is stored; they commit it themselves.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /**
   * Stops fetching, lets the batches in hand finish storing (for up to `drainMs`; Redis may be down), and
   * disconnects. Safe to call twice. kafkajs commits nothing once stopped, so what the drain stores is
   * fetched again at the next start and skipped by the offsets recorded in Redis.
   */
  close(drainMs = CLOSE_DRAIN_MS): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.stateCheck);
      await this.consumer.stop();
      if (!await settlesWithin(Promise.all(this.lanes.values()), drainMs)) {
        this.options.logger.warn("stores still in flight at shutdown; they are replayed at the next start");
      }
      this.running = false;
      await Promise.all(this.lanes.values());
      await this.consumer.disconnect();
      await this.producer.disconnect();
    })();
    return this.closing;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    this.options.metrics.lag.set({ topic: batch.topic, partition: String(partition) }, Number(batch.offsetLag()));
    // One batch in flight per partition: this one waits until the previous one is stored.
    await this.lanes.get(partition);
    if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
    const lane = this.storeBatch(payload, this.generation(partition));
    this.lanes.set(partition, lane);
    payload.resolveOffset(batch.lastOffset());
  }

  /** Dead-letters and stores a batch chunk by chunk, then commits it; never rejects. */
  private async storeBatch(payload: EachBatchPayload, generation: number): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    const current = () => this.running && generation === this.generation(partition);
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.chunkSize) {
        if (!current()) return;
        const chunk = batch.messages.slice(start, start + this.options.chunkSize);
        const replayFrom = await this.handleChunk(partition, chunk, payload);
        if (!current()) return;
        if (replayFrom !== undefined) {
          this.replay(partition, replayFrom);
          return;
        }
        this.storedOffsets.set(partition, String(BigInt(chunk[chunk.length - 1]!.offset) + 1n));
        // kafkajs notices a rebalance from its own heartbeats as well; this one only keeps the session alive.
        await payload.heartbeat().catch(() => {});
      }
      await this.commitStored(partition);
    } catch (error) {
      if (!current()) return;
      // The batch's offsets were resolved when it was handed over: fetch again from what is stored.
      const from = this.storedOffsets.get(partition) ?? batch.firstOffset() ?? "0";
      this.options.logger.error(
        { partition, offset: from, err: errorMessage(error) },
        "storing a batch failed; fetching it again",
      );
      this.restartFrom(partition, from);
    }
  }

  /** Commits what is stored of `partition`; a failure (rebalance in progress, broker away) waits for the next batch. */
  private async commitStored(partition: number): Promise<void> {
    const offset = this.storedOffsets.get(partition);
    if (offset === undefined || offset === this.committedOffsets.get(partition)) return;
    try {
      await this.consumer.commitOffsets([{ topic: this.options.topic, partition, offset }]);
      this.committedOffsets.set(partition, offset);
    } catch (error) {
      this.options.logger.debug(
        { partition, offset, err: errorMessage(error) },
        "offset commit failed; the next batch commits it",
      );
    }
  }

  private generation(partition: number): number {
    return this.generations.get(partition) ?? 0;
  }

  /** Fetches `partition` again from `offset`: lanes of older generations stop, and the offset is committed. */
  private restartFrom(partition: number, offset: string): void {
    this.generations.set(partition, this.generation(partition) + 1);
    this.storedOffsets.set(partition, offset);
    this.consumer.seek({ topic: this.options.topic, partition, offset });
    // Committed now, so that a crash during a replay starts the replay again instead of skipping it.
    void this.commitStored(partition);
  }

  private replay(partition: number, from: bigint): void {
    this.options.logger.warn({ partition, offset: from.toString() }, "Redis lost this partition's state; replaying it");
    this.options.metrics.stateResyncs.inc({ topic: this.options.topic });
    this.partitionsApplied.delete(partition);
    this.restartFrom(partition, from.toString());
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
      this.options.logger.warn({ err: errorMessage(error) }, "state check failed");
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
    // The lane outlives the eachBatch call, so only this consumer's own flag says whether to keep trying.
    const keepGoing = () => this.running;
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
