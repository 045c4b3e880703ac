/**
 * What a BatchConsumer knows of each partition's offsets: what is stored in Redis (by itself, or
 * committed by its group, since the group commits only what is stored), what to commit next, and a
 * generation per partition that a replay bumps, so that the stores started before it stop.
 */
import type { Kafka } from "kafkajs";
import { type PartitionPosition, readPartitionPositions } from "./partition_positions.ts";

const maxOffset = (a: bigint, b: bigint) => a > b ? a : b;

/** The offsets of one topic's partitions for one consumer group. */
export class PartitionOffsets {
  /** Kafka's positions of the partitions, read once per group join (and again before a replay). */
  private positions: Promise<Map<number, PartitionPosition>> | undefined;
  /** Per partition: the last offset known to be stored in Redis (by this consumer, or committed by its group). */
  private readonly storedUpTo = new Map<number, bigint>();
  /** Per partition: bumped by a replay, so that the lanes started before it stop and commit nothing. */
  private readonly generations = new Map<number, number>();
  /** Per partition: the next offset to consume, once everything before it is stored (what to commit). */
  private readonly nextOffsets = new Map<number, string>();
  private readonly committedOffsets = new Map<number, string>();

  constructor(private readonly kafka: Kafka, private readonly topic: string, private readonly groupId: string) {}

  /** Forgets Kafka's positions: read again at next use (after a group join, or before a replay). */
  forgetPositions(): void {
    this.positions = undefined;
  }

  generation(partition: number): number {
    return this.generations.get(partition) ?? 0;
  }

  /** Records that everything up to `lastOffset` of `partition` is stored. */
  markStored(partition: number, lastOffset: string): void {
    this.storedUpTo.set(partition, BigInt(lastOffset));
    this.nextOffsets.set(partition, String(BigInt(lastOffset) + 1n));
  }

  /** The next offset to consume once stored, if any was recorded. */
  nextOffset(partition: number): string | undefined {
    return this.nextOffsets.get(partition);
  }

  /** The offset to commit for `partition`, or undefined when it is committed already. */
  toCommit(partition: number): string | undefined {
    const offset = this.nextOffsets.get(partition);
    return offset === this.committedOffsets.get(partition) ? undefined : offset;
  }

  markCommitted(partition: number, offset: string): void {
    this.committedOffsets.set(partition, offset);
  }

  /** Starts a new generation of `partition` from `offset` (what to commit next). */
  restartAt(partition: number, offset: string): void {
    this.generations.set(partition, this.generation(partition) + 1);
    this.nextOffsets.set(partition, offset);
  }

  /** Lowers what is known to be stored to `recorded` (Redis holds only that: the replay brings it forward). */
  lowerStoredTo(partition: number, recorded: bigint): void {
    this.storedUpTo.set(partition, recorded);
  }

  /** The last offset this consumer stored or its group committed, -1n when none. */
  storedOffset(partition: number): bigint {
    return this.storedUpTo.get(partition) ?? -1n;
  }

  /**
   * What Redis must already record before a chunk starting at `firstOffset`: what is known to be stored,
   * and past the partition's first message at least something (a missing record means Redis lost its data).
   */
  async requiredOffset(partition: number, firstOffset: bigint): Promise<bigint> {
    const { logStart } = await this.position(partition);
    return maxOffset(this.knownStored(partition, logStart), firstOffset > logStart ? logStart : -1n);
  }

  /**
   * The last offset known to be stored in `partition`, or -1n when it lies before the log start: Kafka's
   * retention deleted those messages, so Redis cannot be required to hold them (a replay could never end).
   */
  knownStored(partition: number, logStart: bigint): bigint {
    const known = this.storedOffset(partition);
    return known >= logStart ? known : -1n;
  }

  /** Where a replay after `recorded` starts: right after it, or at the log start when retention deleted more. */
  replayStart(recorded: bigint, logStart: bigint): bigint {
    return maxOffset(recorded + 1n, logStart);
  }

  /**
   * Kafka's positions of `partition`, read once per group join; reading them raises what is known to be
   * stored to the group's committed offset, since the group commits only what Redis has stored.
   */
  async position(partition: number): Promise<PartitionPosition> {
    if (!this.positions) {
      const reading = readPartitionPositions(this.kafka, this.topic, this.groupId);
      this.positions = reading;
      reading.then((positions) => {
        for (const [each, { committed }] of positions) {
          this.storedUpTo.set(each, maxOffset(this.storedOffset(each), committed - 1n));
        }
      }, () => {
        if (this.positions === reading) this.positions = undefined;
      });
    }
    return (await this.positions).get(partition) ?? { logStart: 0n, committed: -1n };
  }
}
