/** Appends work messages to the Redis Stream through lua/append_work_entries.lua. */
import { Cluster } from "ioredis";
import type { RedisClient } from "../infra/redis.ts";
import type { FlightWork } from "../domain/work.ts";
import type { StoreRequest } from "../consume/partition_store.ts";
import { bridgeOffsetsKey, bridgeRevisionArrivalsKey, bridgeRevisionsKey } from "../infra/keys.ts";
import type { Clock } from "../infra/clock.ts";
import { type PartitionStore, scriptStore } from "../consume/partition_store.ts";

/**
 * Trimming of the stream: approximate maximum length and maximum age, and how long after a flight's
 * arrival its highest mirrored revision is remembered (0 disables each).
 */
export interface StreamTrim {
  readonly maxLength: number;
  readonly maxAgeSeconds: number;
  readonly revisionRetentionSeconds: number;
}

/** Appended and duplicate entries of one chunk (removal entries included), for metrics. */
export interface AppendCounts {
  readonly appended: number;
  readonly duplicates: number;
}

/**
 * Returns `store` and `recordedOffset` for mirroring `topic` into `stream`, trimming by `clock`;
 * `onAppended` receives each chunk's counts.
 */
export function createWorkStreamStore(
  redis: RedisClient,
  topic: string,
  stream: string,
  trim: StreamTrim,
  clock: Clock,
  onAppended: (counts: AppendCounts, records: readonly FlightWork[]) => void,
): Promise<PartitionStore<FlightWork>> {
  const onCluster = redis instanceof Cluster;
  const keys = [
    stream,
    bridgeOffsetsKey(stream, onCluster),
    bridgeRevisionsKey(stream, onCluster),
    bridgeRevisionArrivalsKey(stream, onCluster),
  ];
  const field = (partition: number) => `${topic}:${partition}`;
  const encode = (request: StoreRequest<FlightWork>) => {
    const now = clock();
    const minId = trim.maxAgeSeconds > 0 ? `${Math.floor((now - trim.maxAgeSeconds) * 1000)}-0` : "0";
    const forgetBefore = trim.revisionRetentionSeconds > 0
      ? String(Math.floor(now) - trim.revisionRetentionSeconds)
      : "0";
    const args: (string | number)[] = [
      field(request.partition),
      String(request.requiredOffset),
      request.lastOffset,
      trim.maxLength,
      minId,
      request.partition,
      forgetBefore,
    ];
    for (const { offset, record } of request.records) {
      const bags = Object.entries(record.bags);
      const removed = record.removed_bags;
      const exceptions = Object.entries(record.exceptions ?? {});
      args.push(
        offset,
        record.id,
        record.revision,
        record.arrival_time,
        record.scanned_at,
        bags.length,
        removed.length,
        exceptions.length,
      );
      for (const [bag, departure] of bags) args.push(bag, departure, record.next_flights[bag] ?? "");
      for (const bag of removed) args.push(bag);
      for (const [bag, codes] of exceptions) args.push(bag, codes.join(","));
    }
    return { keys, args };
  };
  return scriptStore<FlightWork>({
    redis,
    script: "append_work_entries",
    offsets: { key: keys[1]!, field },
    encode,
    onApplied: ([, , appended = 0, duplicates = 0], request) =>
      onAppended({ appended, duplicates }, request.records.map((parsed) => parsed.record)),
  });
}
