/**
 * A Kafka consumer that validates each message, dead-letters the invalid ones, and hands the valid
 * ones of a partition to an idempotent `store` call in chunks, in offset order.
 *
 * Exactly-once into Redis: `store` records the last applied offset per partition atomically with
 * the data, so a redelivery (after a crash, a rebalance or a second replica) changes nothing.
 *
 * Redis going back in time: each chunk tells `store` the offset Redis must already record, which is what
 * this consumer stored before, or (after a start or a rebalance) what the group committed to Kafka, since
 * offsets are committed only once stored. A lower record means Redis lost its data or came back from an
 * older snapshot, an AOF that had not been synced, or a promoted replica: the partition is replayed from
 * the record. An idle consumer checks every few seconds, so a rollback is noticed without new traffic.
 *
 * Throughput: kafkajs fetches the next batch only once every handler of the last fetch has returned.
 * So a batch's stores run in a lane of their own (one per partition, in offset order) while kafkajs
 * fetches and decodes the next batch; a partition's next batch waits for its lane. Offsets are
 * committed to Kafka by the lane, only once stored, so a crash replays at most what was in flight,
 * which the offsets recorded in Redis turn into no-ops.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { deadLetterTopic, sendToDeadLetters } from "./dead_letters.ts";
import { createProducer } from "../infra/kafka.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { canRetry, crash, retryUntilDone } from "../infra/retry.ts";
import { settlesWithin } from "../infra/poll.ts";
import type { ConsumerMetrics } from "./consumer_metrics.ts";
import {
  type InvalidInput,
  parseChunk,
  type Parsed,
  type PartitionStore,
  type StoreRequest,
} from "./partition_store.ts";
import { PartitionOffsets } from "./partition_offsets.ts";

export type { Parsed, StoreRequest, StoreResult } from "./partition_store.ts";

export interface BatchConsumerOptions<T> extends PartitionStore<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  /** A killed member's partitions move to the others after this long without heartbeats. */
  readonly sessionTimeoutMs: number;
  readonly chunkSize: number;
  readonly partitionsConcurrently: number;
  readonly parse: (message: KafkaMessage) => T;
  readonly metrics: ConsumerMetrics;
  readonly logger: Logger;
  /** Called after each chunk is stored, for per-record metrics such as the latest arrival time. */
  readonly onStored?: (records: readonly Parsed<T>[]) => void;
  /**
   * Called when Redis is found behind (before the replay): what else Redis held may be as old, such as the
   * scanner's revisions.
   */
  readonly onResync?: () => Promise<unknown>;
  /** How often assigned partitions are checked for a Redis that went back in time while idle. */
  readonly stateCheckMs?: number;
  /** What the store is, for the logs: "Redis" unless given. */
  readonly storeName?: string;
  /** Called with an error that retrying cannot heal (a bug, a script reply nobody knows): by default, a crash. */
  readonly onFatal?: (error: unknown) => never;
}

/** Why a partition is replayed: Redis records nothing for it, or less than was stored. */
export type ResyncReason = "state_lost" | "rollback";

const STATE_CHECK_MS = 5_000;
/** How long close() waits for the stores in flight before giving up on them (they are replayed). */
const CLOSE_DRAIN_MS = 10_000;

export { deadLetterTopic };

export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly offsets: PartitionOffsets;
  /** Per partition: the stores of the batch in hand, running while the next batch is fetched. */
  private readonly lanes = new Map<number, Promise<void>>();
  private assigned: number[] = [];
  private stateCheck: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private running = false;

  private readonly options: BatchConsumerOptions<T> & { readonly onFatal: (error: unknown) => never };

  constructor(options: BatchConsumerOptions<T>) {
    this.options = { onFatal: (error) => crash(options.logger, `consuming ${options.topic}`, error), ...options };
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
      maxBytesPerPartition: 1_048_576,
    });
    this.producer = createProducer(options.kafka);
    this.offsets = new PartitionOffsets(options.kafka, options.topic, options.groupId);
  }

  /** Connects and starts consuming; resolves once the consumer runs. */
  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.offsets.forgetPositions();
      this.assigned = payload.memberAssignment[this.options.topic] ?? [];
    });
    // kafkajs restarts a crashed consumer only after a retriable error; after any other (such as "Broker not
    // connected" during a broker outage) it stays stopped and this process would go on consuming nothing. A crash
    // of the whole process is visible, and its supervisor restarts it where the stored offsets say.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || !this.running || this.closing !== undefined) return;
      this.options.onFatal(new Error(`kafkajs stopped the consumer for good: ${errorMessage(payload.error)}`));
    });
    // Start the counters at 0 so that the first dead letter or resync is an increase Prometheus can alert on.
    const { topic, metrics } = this.options;
    metrics.invalid.inc({ topic }, 0);
    for (const reason of ["state_lost", "rollback"] satisfies ResyncReason[]) {
      metrics.stateResyncs.inc({ topic, reason }, 0);
    }
    this.running = true;
    this.stateCheck = setInterval(
      () => void this.replayPartitionsBehind(),
      this.options.stateCheckMs ?? STATE_CHECK_MS,
    );
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
    const lane = this.storeBatch(payload, this.offsets.generation(partition));
    this.lanes.set(partition, lane);
    payload.resolveOffset(batch.lastOffset());
  }

  /** Dead-letters and stores a batch chunk by chunk, then commits it; never rejects. */
  private async storeBatch(payload: EachBatchPayload, generation: number): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    const current = () => this.running && generation === this.offsets.generation(partition);
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.chunkSize) {
        if (!current()) return;
        const chunk = batch.messages.slice(start, start + this.options.chunkSize);
        const last = start + this.options.chunkSize >= batch.messages.length;
        // The batch's last offset counts the control records of transactions after its last message.
        const lastOffset = last ? batch.lastOffset() : chunk[chunk.length - 1]!.offset;
        const behind = await this.handleChunk(partition, chunk, lastOffset, payload);
        if (!current()) return;
        if (behind !== undefined) {
          await this.replay(partition, behind.recorded, behind.reason);
          return;
        }
        this.offsets.markStored(partition, lastOffset);
        // kafkajs notices a rebalance from its own heartbeats as well; this one only keeps the session alive.
        await payload.heartbeat().catch(() => {});
      }
      await this.commitStored(partition);
    } catch (error) {
      if (!current()) return;
      if (!canRetry(error)) this.options.onFatal(error);
      // The batch's offsets were resolved when it was handed over: fetch again from what is stored.
      const from = this.offsets.nextOffset(partition) ?? batch.firstOffset() ?? "0";
      this.options.logger.error(
        { partition, offset: from, err: errorMessage(error) },
        "storing a batch failed; fetching it again",
      );
      this.restartFrom(partition, from);
    }
  }

  /** Commits what is stored of `partition`; a failure (rebalance in progress, broker away) waits for the next batch. */
  private async commitStored(partition: number): Promise<void> {
    const offset = this.offsets.toCommit(partition);
    if (offset === undefined) return;
    try {
      await this.consumer.commitOffsets([{ topic: this.options.topic, partition, offset }]);
      this.offsets.markCommitted(partition, offset);
    } catch (error) {
      this.options.logger.debug(
        { partition, offset, err: errorMessage(error) },
        "offset commit failed; the next batch commits it",
      );
    }
  }

  /** Fetches `partition` again from `offset`: lanes of older generations stop, and the offset is committed. */
  private restartFrom(partition: number, offset: string): void {
    this.offsets.restartAt(partition, offset);
    this.consumer.seek({ topic: this.options.topic, partition, offset });
    // Committed now, so that a crash during a replay starts the replay again instead of skipping it.
    void this.commitStored(partition);
  }

  /**
   * Replays `partition` after `recorded`, the last offset Redis records (-1n: none), or from the log start
   * when Kafka's retention has deleted what follows the record (re-read now: it moves while we run).
   */
  private async replay(partition: number, recorded: bigint, reason: ResyncReason): Promise<void> {
    const { topic, logger, metrics } = this.options;
    this.offsets.forgetPositions();
    const logStart = (await this.offsets.position(partition)).logStart;
    const from = this.offsets.replayStart(recorded, logStart);
    const known = this.offsets.storedOffset(partition);
    if (from > recorded + 1n) {
      // After a loss this is usual (retention deleted what Redis had long expired); after a rollback it loses data.
      logger[reason === "rollback" ? "error" : "warn"](
        { topic, partition, recorded: recorded.toString(), log_start: logStart.toString() },
        "Redis lacks offsets that Kafka's retention has deleted; replaying from the log start",
      );
    }
    logger.warn(
      { topic, partition, reason, recorded: recorded.toString(), stored: known.toString(), offset: from.toString() },
      reason === "state_lost"
        ? "Redis lost this partition's state; replaying it"
        : "Redis went back in time for this partition; replaying it from its record",
    );
    metrics.stateResyncs.inc({ topic, reason });
    await this.options.onResync?.().catch((error) =>
      logger.error({ err: errorMessage(error) }, "could not mark the scanner's revisions for a restore")
    );
    // From now on Redis is required to hold only what it holds: the replay brings it forward again.
    this.offsets.lowerStoredTo(partition, recorded);
    this.restartFrom(partition, from.toString());
  }

  /** Notices a Redis that went back in time (or lost its data) even when no new message arrives. */
  private async replayPartitionsBehind(): Promise<void> {
    try {
      for (const partition of this.assigned) {
        if (!this.running) return;
        const { logStart } = await this.offsets.position(partition);
        // Read before the record: a store in flight only raises both, in this order.
        const known = this.offsets.knownStored(partition, logStart);
        const recorded = await this.options.recordedOffset(partition);
        if (recorded < known && this.running) {
          await this.replay(partition, recorded, recorded === -1n ? "state_lost" : "rollback");
        }
      }
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, "state check failed");
    }
  }

  /**
   * Dead-letters the invalid messages and stores the valid ones; returns what Redis records instead when it
   * is behind what is known to be stored (nothing is stored then).
   */
  private async handleChunk(
    partition: number,
    chunk: KafkaMessage[],
    lastOffset: string,
    payload: EachBatchPayload,
  ): Promise<{ recorded: bigint; reason: ResyncReason } | undefined> {
    const { topic, metrics, logger } = this.options;
    const { valid, invalid } = parseChunk(chunk, partition, this.options.parse);
    // The lane outlives the eachBatch call, so only this consumer's own flag says whether to keep trying.
    const retry = <R>(what: string, operation: () => Promise<R>) =>
      retryUntilDone(what, operation, logger, () => this.running, payload.heartbeat);
    const deadLetter = async (rejected: readonly InvalidInput[]) => {
      if (rejected.length === 0) return;
      await retry("dead-lettering", () => sendToDeadLetters(this.producer, topic, partition, rejected));
      metrics.invalid.inc({ topic }, rejected.length);
      for (const { message, reason } of rejected) {
        logger.warn({ topic, partition, offset: message.offset, reason }, "invalid message dead-lettered");
      }
    };
    await deadLetter(invalid);
    const request: StoreRequest<T> = {
      partition,
      requiredOffset: await this.offsets.requiredOffset(partition, BigInt(chunk[0]!.offset)),
      lastOffset,
      records: valid,
    };
    const stopTimer = metrics.storeSeconds.startTimer();
    const result = await retry(`storing in ${this.options.storeName ?? "Redis"}`, () => this.options.store(request));
    if (result.status === "behind") {
      return { recorded: result.recorded, reason: result.recorded === -1n ? "state_lost" : "rollback" };
    }
    stopTimer();
    // The store keeps its refusals until a later chunk shows they were sent, so a crash here loses none.
    if (result.refused && result.refused.length > 0) {
      const byOffset = new Map(chunk.map((message) => [message.offset, message]));
      await deadLetter(result.refused.flatMap(({ offset, reason }) => {
        const message = byOffset.get(offset);
        return message ? [{ message, reason }] : [];
      }));
    }
    metrics.batchSize.observe(valid.length);
    metrics.processed.inc(result.applied);
    this.options.onStored?.(valid);
    return undefined;
  }
}
